// Saved snapshots in the embedded store keep the SnapshotStore contract on a real file (a reopened
// handle is a restarted process), beside the work queue's tables, and a damaged one reads as absent
// instead of throwing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeSnapshotStoreContract } from "../durable/snapshotStore.contract.ts";
import { openSqliteSnapshotStore, type SqliteSnapshotStore } from "./SqliteSnapshotStore.ts";
import { openSqliteWorkQueue } from "./SqliteWorkQueue.ts";

describeSnapshotStoreContract("SqliteSnapshotStore", async () => {
  const folder = mkdtempSync(join(tmpdir(), "troupe-snapshots-"));
  const handles: SqliteSnapshotStore[] = [];
  const open = async () => {
    const store = openSqliteSnapshotStore({ path: join(folder, "store.sqlite") });
    handles.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      for (const store of handles) await store.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "troupe-snapshots-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("SqliteSnapshotStore", () => {
  it("keeps snapshots beside the work queue in one file", async () => {
    const path = join(dir, "store.sqlite");
    const queue = openSqliteWorkQueue({ path });
    const snapshots = openSqliteSnapshotStore({ path });
    await queue.enqueue({ id: "t-1", input: { text: "x" } });
    await snapshots.save("t-1", { value: "step-1" });
    expect(await snapshots.load("t-1")).toEqual({ value: "step-1" });
    expect(await queue.stats()).toMatchObject({ ready: 1 });
    await snapshots.close();
    await queue.close();
  });

  it("reads a damaged snapshot as absent and says so", async () => {
    const path = join(dir, "damaged.sqlite");
    const logged: string[] = [];
    const store = openSqliteSnapshotStore({
      path,
      logger: { log: (_level, message) => logged.push(message) },
    });
    await store.save("t-1", { value: "ok" });
    const raw = new DatabaseSync(path);
    raw.prepare("UPDATE troupe_snapshots SET value = '{oops' WHERE key = 't-1'").run();
    raw.close();
    expect(await store.load("t-1")).toBeUndefined();
    expect(logged).toEqual(["snapshot store: a saved snapshot is not valid JSON; starting over"]);
    await store.close();
  });
});
