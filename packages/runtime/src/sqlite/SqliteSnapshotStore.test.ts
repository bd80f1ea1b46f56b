// Saved snapshots in the embedded store: kept across handles (a restarted process), replaced on save,
// removed on delete, and a damaged one reads as absent instead of throwing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteSnapshotStore } from "./SqliteSnapshotStore.ts";
import { openSqliteWorkQueue } from "./SqliteWorkQueue.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "troupe-snapshots-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("SqliteSnapshotStore", () => {
  it("keeps snapshots beside the work queue, across handles", async () => {
    const path = join(dir, "store.sqlite");
    const queue = openSqliteWorkQueue({ path });
    const first = openSqliteSnapshotStore({ path });
    await first.save("t-1", { value: "step-1", children: { a: { value: "x" } } });
    await first.save("t-1", { value: "step-2" });
    await first.save("t-2", { value: "other" });
    await first.save("fanout:f-1", { value: "joining" });
    await first.save("fanout:f-2", { value: "joining" });
    await first.delete("t-2");
    await first.close();

    const second = openSqliteSnapshotStore({ path });
    expect(await second.load("t-1")).toEqual({ value: "step-2" });
    expect(await second.load("t-2")).toBeUndefined();
    expect(await second.keys("fanout:")).toEqual(["fanout:f-1", "fanout:f-2"]);
    expect(await second.keys("t-")).toEqual(["t-1"]);
    expect(await second.keys("%")).toEqual([]);
    expect(await queue.stats()).toMatchObject({ ready: 0 });
    await second.close();
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
