// The bridge's ledger on an in-memory SnapshotStore: what one run writes, the next one loads; an entry
// is deleted once its outcome is posted and its final reaction applied, and a malformed one is dropped.
// A channel's cursor is kept for the next run too, and the threads a catch-up reads are the quiet,
// recent ones.
import { describe, expect, it } from "vitest";
import { MemorySnapshotStore } from "../durable/SnapshotStore.ts";
import { SurfaceTaskLedger } from "./SurfaceTaskLedger.ts";

const opened = {
  taskId: "t-1",
  message: { channelId: "c1", messageId: "m1" },
  threadName: "hi",
  posted: false,
};

describe("SurfaceTaskLedger", () => {
  it("keeps the latest state of each open task for the next run, and deletes it once nothing is left to do", async () => {
    const store = new MemorySnapshotStore();
    const before = new SurfaceTaskLedger(store);
    before.open(opened);
    before.update("t-1", { thread: "th-1" });
    before.update("t-1", { reaction: "📥" });
    before.update("t-1", { reaction: "⚙️", agent: "echo" });
    before.update("t-unknown", { reaction: "✅" }); // not a task of the ledger: ignored
    await before.flushed();
    expect(await store.keys("surface/task/")).toEqual(["surface/task/t-1"]);

    const after = new SurfaceTaskLedger(store);
    expect(await after.load()).toEqual([{ ...opened, thread: "th-1", reaction: "⚙️", agent: "echo" }]);
    after.update("t-1", { final: "✅" });
    after.update("t-1", { posted: true });
    await after.flushed();
    expect(await store.load("surface/task/t-1")).toMatchObject({ final: "✅", posted: true, reaction: "⚙️" });
    after.update("t-1", { reaction: "✅" });
    await after.flushed();
    expect(after.get("t-1")).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it("drops a malformed entry when loading", async () => {
    const store = new MemorySnapshotStore();
    await store.save("surface/task/t-2", { taskId: "t-2" });
    expect(await new SurfaceTaskLedger(store).load()).toEqual([]);
    expect(store.size).toBe(0);
  });

  it("keeps each channel's cursor, the latest one, for the next run; a malformed one is dropped", async () => {
    const store = new MemorySnapshotStore();
    const before = new SurfaceTaskLedger(store);
    expect(await before.cursor("c1")).toBeUndefined();
    before.moveCursor({ channelId: "c1", since: 1_700_000_000_000 });
    before.moveCursor({ channelId: "c1", after: "m7" });
    before.moveCursor({ channelId: "c1", after: "m9" });
    expect(await before.cursor("c1")).toEqual({ channelId: "c1", after: "m9" });
    await before.flushed();
    expect(await new SurfaceTaskLedger(store).cursor("c1")).toEqual({ channelId: "c1", after: "m9" });

    await store.save("surface/cursor/c2", { channelId: "c2", after: 7 });
    expect(await new SurfaceTaskLedger(store).cursor("c2")).toBeUndefined();
    expect(await store.keys("surface/cursor/")).toEqual(["surface/cursor/c1"]);
  });
  it("lists the threads active since a time whose tasks are all over, after a restart too", async () => {
    const store = new MemorySnapshotStore();
    const before = new SurfaceTaskLedger(store);
    const opening = { role: "user" as const, name: "ana", content: "hi" };
    before.rememberThread({ threadId: "th-quiet", channel: "c1", opening, activeAt: 5_000 });
    before.rememberThread({ threadId: "th-old", channel: "c1", opening, activeAt: 1_000 });
    before.rememberThread({ threadId: "th-older-run", channel: "c1", opening }); // written before activeAt
    before.rememberThread({ threadId: "th-busy", channel: "c1", opening, activeAt: 6_000 });
    before.open({ ...opened, thread: "th-busy" }); // its task is still open: answers may wait there
    await before.flushed();

    const after = new SurfaceTaskLedger(store);
    await after.loadThreads();
    await after.load();
    expect(after.quietThreadsSince(2_000).map((thread) => thread.threadId)).toEqual(["th-quiet"]);
    after.update("t-1", { final: "✅", posted: true, reaction: "✅" }); // over
    expect(after.quietThreadsSince(2_000).map((thread) => thread.threadId)).toEqual(["th-quiet", "th-busy"]);
  });
});
