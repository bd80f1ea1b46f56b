// The embedded queue keeps the WorkQueue contract on a real file (a reopened handle is a restarted
// process), never delivers one task to two handles on the same file, buries a row whose input cannot
// be read instead of crashing, and gives each idempotency key to its first claimer only.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkQueue } from "../durable/WorkQueue.ts";
import { CONTRACT_LEASE_MS, describeWorkQueueContract } from "../durable/workQueue.contract.ts";
import { isTroupeError } from "../errors/TroupeError.ts";
import type { Logger } from "../log/Logger.ts";
import { openSqliteWorkQueue, type SqliteWorkQueue } from "./SqliteWorkQueue.ts";

const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "troupe-sqlite-"));
  return {
    path: join(dir, "nested", "queue.sqlite"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};

/** A child process that, once told "go", leases and finishes tasks one by one until none is left. */
const CHILD = `
import { createInterface } from "node:readline";
const { openSqliteWorkQueue } = await import(process.env.QUEUE_MODULE);
const queue = openSqliteWorkQueue({ path: process.env.QUEUE_PATH });
console.log("ready");
for await (const line of createInterface({ input: process.stdin })) if (line === "go") break;
const got = [];
while (true) {
  const [lease] = await queue.lease(process.env.CONSUMER, { max: 1, waitMs: 0 });
  if (!lease) break;
  got.push([lease.taskId, await queue.finish(lease, { status: "succeeded", output: process.env.CONSUMER })]);
}
await queue.close();
console.log(JSON.stringify(got));
`;

const leaseInChild = (path: string, consumer: string) => {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], {
    env: {
      ...process.env,
      QUEUE_MODULE: new URL("./SqliteWorkQueue.ts", import.meta.url).href,
      QUEUE_PATH: path,
      CONSUMER: consumer,
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`child ${consumer} ended early`);
    return value as string;
  };
  return {
    ready: next().then((line) => expect(line).toBe("ready")),
    go: () => child.stdin!.write("go\n"),
    got: next().then((line) => JSON.parse(line) as [string, string][]),
  };
};

describeWorkQueueContract("SqliteWorkQueue", async () => {
  const file = tempFile();
  const handles: WorkQueue[] = [openSqliteWorkQueue({ path: file.path, leaseMs: CONTRACT_LEASE_MS })];
  return {
    queue: handles[0]!,
    reopen: async () => {
      const handle = openSqliteWorkQueue({ path: file.path, leaseMs: CONTRACT_LEASE_MS });
      handles.push(handle);
      return handle;
    },
    cleanup: async () => {
      for (const handle of handles) await handle.close();
      file.remove();
    },
  };
});

describe("SqliteWorkQueue on one file", () => {
  let file: ReturnType<typeof tempFile>;
  const open: SqliteWorkQueue[] = [];
  const openQueue = (options: { leaseMs?: number; maxLength?: number; logger?: Logger } = {}) => {
    const queue = openSqliteWorkQueue({ path: file.path, ...options });
    open.push(queue);
    return queue;
  };
  beforeEach(() => {
    file = tempFile();
  });
  afterEach(async () => {
    for (const queue of open.splice(0)) await queue.close();
    file.remove();
  });

  it("never delivers a task to two handles at once, and keeps it after close", async () => {
    const a = openQueue();
    const b = openQueue();
    const ids = Array.from({ length: 50 }, (_, i) => `t-${i}`);
    for (const [i, id] of ids.entries()) await (i % 2 === 0 ? a : b).enqueue({ id, input: { text: id } });
    const seen: string[] = [];
    while (seen.length < ids.length) {
      const [fromA, fromB] = await Promise.all([
        a.lease("host-a", { max: 3, waitMs: 0 }),
        b.lease("host-b", { max: 4, waitMs: 0 }),
      ]);
      for (const lease of [...fromA, ...fromB]) {
        seen.push(lease.taskId);
        await (fromA.includes(lease) ? a : b).finish(lease, { status: "succeeded", output: lease.taskId });
      }
    }
    expect(seen.toSorted()).toEqual(ids.toSorted());
    await a.close();
    const reopened = openQueue();
    expect(await reopened.record("t-7")).toMatchObject({ status: "succeeded", output: "t-7", attempts: 1 });
    expect(await reopened.stats()).toMatchObject({ ready: 0, leased: 0, oldestAgeMs: undefined });
  });

  it("never delivers a task twice to two processes leasing from one file at once", async () => {
    const queue = openQueue();
    const ids = Array.from({ length: 300 }, (_, i) => `t-${i}`);
    for (const id of ids) await queue.enqueue({ id, input: { text: id } });
    const children = [leaseInChild(file.path, "host-a"), leaseInChild(file.path, "host-b")];
    await Promise.all(children.map((child) => child.ready));
    for (const child of children) child.go();
    const [a, b] = await Promise.all(children.map((child) => child.got));
    const all = [...a!, ...b!];
    expect(all.map(([id]) => id).toSorted()).toEqual(ids.toSorted());
    expect(all.every(([, settlement]) => settlement === "accepted")).toBe(true);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0 });
    for (const [consumer, got] of [
      ["host-a", a!],
      ["host-b", b!],
    ] as const)
      for (const [id] of got.slice(0, 3))
        expect(await queue.record(id)).toMatchObject({ status: "succeeded", output: consumer, attempts: 1 });
  });

  it("buries a row whose stored input is not JSON, with a clear error, and goes on", async () => {
    const logged: string[] = [];
    const queue = openQueue({ logger: { log: (_level, message) => logged.push(message) } });
    await queue.enqueue({ id: "broken", input: { text: "x" } });
    await queue.enqueue({ id: "fine", input: { text: "y" } });
    const raw = new DatabaseSync(file.path);
    raw.prepare("UPDATE troupe_tasks SET input = ? WHERE id = ?").run("{not json", "broken");
    raw.close();

    const leases = await queue.lease("w", { max: 10, waitMs: 0 });
    expect(leases.map((lease) => lease.taskId)).toEqual(["fine"]);
    const [dead] = await queue.deadLetters();
    expect(dead).toMatchObject({ taskId: "broken", input: {}, error: { tag: "InvalidTask" } });
    expect(dead!.error.reason).toMatch(
      /^the stored input of task broken is not valid JSON .*: "\{not json"$/,
    );
    expect(await queue.record("broken")).toMatchObject({ status: "dead" });
    expect(await queue.stats()).toMatchObject({ dead: 1, leased: 1 });
    expect(logged).toContain("work queue: a task with unreadable input was moved to the dead letters");
  });

  it("refuses an enqueue beyond maxLength with MailboxFull, but not a repeated id", async () => {
    const queue = openQueue({ maxLength: 2 });
    await queue.enqueue({ id: "a", input: { text: "1" } });
    await queue.enqueue({ id: "b", input: { text: "2" } });
    await queue.enqueue({ id: "a", input: { text: "again" } });
    const refused = await queue.enqueue({ id: "c", input: { text: "3" } }).catch((error: unknown) => error);
    expect(isTroupeError(refused, "MailboxFull")).toBe(true);
    expect((refused as Error).message).toBe(
      "the work queue is full: 2 unfinished tasks (limit 2); task c was not queued",
    );
    const [lease] = await queue.lease("w", { max: 1, waitMs: 0 });
    await queue.finish(lease!, { status: "cancelled", reason: "no longer wanted" });
    await queue.enqueue({ id: "c", input: { text: "3" } });
    expect(await queue.record("c")).toMatchObject({ status: "queued" });
  });

  it("gives an idempotency key to its first claimer until it expires, across handles", async () => {
    const a = openQueue();
    const b = openQueue();
    expect(await a.claimOnce("post:t-1", 60_000)).toBe(true);
    expect(await b.claimOnce("post:t-1", 60_000)).toBe(false);
    expect(await a.claimOnce("post:t-1", 60_000)).toBe(false);
    expect(await b.claimOnce("post:t-2", 0)).toBe(true);
    // An expired key can be claimed again.
    expect(await a.claimOnce("post:t-2", 60_000)).toBe(true);
    // Any time to live: a fraction of a millisecond's more, or one no key outlives.
    for (const [key, ttlMs] of [
      ["post:t-3", 60_000.25],
      ["post:t-4", Number.MAX_VALUE],
    ] as const) {
      expect(await a.claimOnce(key, ttlMs)).toBe(true);
      expect(await b.claimOnce(key, 60_000)).toBe(false);
    }
    await expect(a.claimOnce("post:t-5", Number.NaN)).rejects.toThrow(RangeError);
  });

  it("says which file it cannot open", () => {
    const blocker = join(file.path, "..", "..", "a-file");
    rmSync(blocker, { force: true });
    new DatabaseSync(blocker).close();
    expect(() => openSqliteWorkQueue({ path: join(blocker, "queue.sqlite") })).toThrow(
      /^cannot open the store file .*a-file\/queue\.sqlite: /,
    );
  });
});
