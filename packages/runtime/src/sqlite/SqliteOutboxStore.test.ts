// The embedded outbox keeps the OutboxStore contract on a real file (a reopened handle is a
// restarted process), beside the work queue's tables in the same file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
});
