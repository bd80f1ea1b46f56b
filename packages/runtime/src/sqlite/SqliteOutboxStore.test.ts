// The embedded outbox keeps the OutboxStore contract on a real file (a reopened handle is a
// restarted process), beside the work queue's tables in the same file; a notifier on it backs a
// failing sink off (its jittered delays are fractions) and dead-letters the delivery.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Notifier, type NotifierEvent } from "../notify/Notifier.ts";
import { alertOf, deliveryOf, describeOutboxContract } from "../notify/outboxStore.contract.ts";
import { openSqliteOutboxStore, type SqliteOutboxStore } from "./SqliteOutboxStore.ts";
import { openSqliteWorkQueue } from "./SqliteWorkQueue.ts";

describeOutboxContract("SqliteOutboxStore", async () => {
  const dir = mkdtempSync(join(tmpdir(), "troupe-outbox-"));
  const path = join(dir, "store.sqlite");
  const handles: SqliteOutboxStore[] = [];
  const open = async () => {
    const store = openSqliteOutboxStore({ path });
    handles.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      await Promise.all(handles.map((store) => store.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("SqliteOutboxStore", () => {
  it("shares the file with the work queue", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troupe-outbox-"));
    try {
      const path = join(dir, "default.sqlite");
      const queue = openSqliteWorkQueue({ path });
      const outbox = openSqliteOutboxStore({ path });
      await queue.enqueue({ id: "t-1", input: { text: "x" } });
      expect(await outbox.enqueue(alertOf("a"), [deliveryOf("a", "discord")])).toBe(1);
      expect((await queue.stats()).ready).toBe(1);
      await outbox.close();
      await queue.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lets a notifier count a failing sink's retries, back off and dead-letter the delivery", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troupe-outbox-"));
    const store = openSqliteOutboxStore({ path: join(dir, "store.sqlite") });
    const notifier = new Notifier({
      store,
      sinks: [
        {
          name: "webhook",
          format: { maxLength: 2_000, style: "plain" },
          send: async () => ({ kind: "retry", reason: "the webhook answered 503" }),
        },
      ],
      maxAttempts: 3,
      backoff: { base: 7, max: 50 },
      pollEvery: 20,
      breaker: { maxFailures: 100 },
    });
    try {
      await notifier.start();
      const dead = notifier.waitFor(
        (event): event is Extract<NotifierEvent, { type: "dead" }> => event.type === "dead",
        AbortSignal.timeout(5_000),
      );
      await notifier.notify({ ...alertOf("down") });
      expect(await dead).toMatchObject({ sink: "webhook", error: "the webhook answered 503" });
      expect(await store.deadLetters()).toEqual([
        expect.objectContaining({ id: "down/webhook/1", failures: 3, error: "the webhook answered 503" }),
      ]);
    } finally {
      await notifier.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
