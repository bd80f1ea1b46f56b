// The Redis outbox keeps the OutboxStore contract on a real Redis (127.0.0.1:6379, a namespace of
// its own per test, its keys deleted afterwards), and keeps all its keys under the namespace.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertOf, deliveryOf, describeOutboxContract } from "../notify/outboxStore.contract.ts";
import { deleteNamespace } from "./deleteNamespace.ts";
import { RedisOutboxStore } from "./RedisOutboxStore.ts";

const REDIS_URL = "redis://127.0.0.1:6379";

let admin: Redis;
beforeAll(() => {
  admin = new Redis(REDIS_URL);
});
afterAll(async () => {
  await admin.quit();
});

describeOutboxContract("RedisOutboxStore", async () => {
  const namespace = `test-${randomUUID()}`;
  const handles: RedisOutboxStore[] = [];
  const open = async () => {
    const store = new RedisOutboxStore({ redis: REDIS_URL, namespace });
    handles.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      await Promise.all(handles.map((store) => store.close()));
      await deleteNamespace(admin, namespace);
    },
  };
});

describe("RedisOutboxStore on Redis", () => {
  it("keeps everything under troupe:<namespace>:outbox: and leaves the caller's client open", async () => {
    const namespace = `test-${randomUUID()}`;
    const store = new RedisOutboxStore({ redis: admin, namespace });
    await store.enqueue(alertOf("a"), [deliveryOf("a", "discord")]);
    await store.close();
    expect(await admin.ping()).toBe("PONG");
    const keys = await admin.keys(`troupe:${namespace}:*`);
    expect(keys.every((key) => key.startsWith(`troupe:${namespace}:outbox:`))).toBe(true);
    await deleteNamespace(admin, namespace);
  });
});
