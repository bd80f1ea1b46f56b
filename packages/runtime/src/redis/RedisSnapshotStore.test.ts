// Saved actor state on Redis: round trips, prefix listing (glob characters taken literally), deletes,
// and a machine agent's run saved by one team and resumed by another through Redis.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setup } from "xstate";
import type { AgentMachineInput } from "../agent/AgentContext.ts";
import { defineAgent } from "../agent/defineAgent.ts";
import { createTestTeam, flush } from "../testing/index.ts";
import { RedisSnapshotStore } from "./RedisSnapshotStore.ts";

let redis: Redis;
let namespace: string;
beforeEach(() => {
  redis = new Redis("redis://127.0.0.1:6379");
  namespace = `test-${randomUUID()}`;
});
afterEach(async () => {
  await redis.del(`troupe:${namespace}:snapshots`);
  await redis.quit();
});

describe("RedisSnapshotStore", () => {
  it("saves, loads, lists by prefix and deletes", async () => {
    const store = new RedisSnapshotStore({ redis, namespace });
    await store.save("fanout/f-1", { status: "active", value: "collecting" });
    await store.save("fanout/f-2", { status: "done" });
    await store.save("fan*out/x", { odd: true });
    await store.save("t-1", { value: "waiting" });
    expect(await store.load("fanout/f-1")).toEqual({ status: "active", value: "collecting" });
    expect([...(await store.keys("fanout/"))].sort()).toEqual(["fanout/f-1", "fanout/f-2"]);
    expect(await store.keys("fan*")).toEqual(["fan*out/x"]);
    await store.delete("fanout/f-1");
    expect(await store.load("fanout/f-1")).toBeUndefined();
  });

  it("resumes a machine agent's run saved by another team", async () => {
    const approval = defineAgent({
      name: "approval",
      machine: setup({
        types: {} as { input: AgentMachineInput; context: { what: string }; events: { type: "APPROVE" } },
      }).createMachine({
        context: ({ input }) => ({ what: input.task.text }),
        initial: "waiting",
        states: { waiting: { on: { APPROVE: "approved" } }, approved: { type: "final" } },
        output: ({ context }) => `approved ${context.what}`,
      }),
    });
    const snapshots = new RedisSnapshotStore({ redis, namespace });
    const first = createTestTeam({ agents: [approval], snapshots });
    first.team.submit({ id: "t-9", agent: "approval", text: "deploy" });
    await first.next("task.started");
    while ((await snapshots.load("t-9")) === undefined) await flush();
    first.team.stop();

    const second = createTestTeam({ agents: [approval], snapshots });
    const run = second.team.submit(
      { id: "t-9", agent: "approval", text: "deploy" },
      { snapshot: await snapshots.load("t-9") },
    );
    await second.next("task.started");
    second.team.send(run.id, { type: "APPROVE" });
    await expect(run.result).resolves.toBe("approved deploy");
    second.team.stop();
  });
});
