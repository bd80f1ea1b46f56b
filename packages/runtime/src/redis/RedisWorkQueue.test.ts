// The Redis Streams work queue keeps the WorkQueue contract on a real Redis (127.0.0.1:6379, a
// namespace of its own per test, its keys deleted afterwards), and handles what only Redis can do to
// it: a lost consumer group, garbage on the stream, a full queue, an evicting maxmemory-policy.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startPrivateRedis } from "../../../../test/harness/privateRedis.ts";
import type { WorkQueue } from "../durable/WorkQueue.ts";
import { CONTRACT_LEASE_MS, describeWorkQueueContract } from "../durable/workQueue.contract.ts";
import type { RuntimeEvent } from "../events/catalogue.ts";
import { EventBus } from "../events/EventBus.ts";
import type { Logger } from "../log/Logger.ts";
import { deleteNamespace } from "./deleteNamespace.ts";
import { createRedisWorkQueue, maxmemoryPolicyWarning, type RedisWorkQueue } from "./RedisWorkQueue.ts";

const REDIS_URL = "redis://127.0.0.1:6379";

let admin: Redis;
beforeAll(() => {
  admin = new Redis(REDIS_URL);
});
afterAll(async () => {
  await admin.quit();
});

describeWorkQueueContract("RedisWorkQueue", async () => {
  const namespace = `test-${randomUUID()}`;
  const handles: WorkQueue[] = [];
  const open = async () => {
    const queue = await createRedisWorkQueue({ redis: REDIS_URL, namespace, leaseMs: CONTRACT_LEASE_MS });
    handles.push(queue);
    return queue;
  };
  return {
    queue: await open(),
    reopen: open,
    cleanup: async () => {
      await Promise.all(handles.map((queue) => queue.close()));
      await deleteNamespace(admin, namespace);
    },
  };
});

describe("RedisWorkQueue on Redis", () => {
  let namespace: string;
  let bus: EventBus;
  let events: RuntimeEvent[];
  let logs: { level: string; message: string; fields: Record<string, unknown> | undefined }[];
  let queue: RedisWorkQueue;
  const logger: Logger = { log: (level, message, fields) => logs.push({ level, message, fields }) };

  const open = (options: { maxLength?: number; maxTaskBytes?: number } = {}) =>
    createRedisWorkQueue({ redis: admin, namespace, leaseMs: 500, bus, logger, ...options });

  afterEach(async () => {
    await queue?.close();
    await deleteNamespace(admin, namespace);
  });
  const setUp = async (options: { maxLength?: number; maxTaskBytes?: number } = {}) => {
    namespace = `test-${randomUUID()}`;
    bus = new EventBus();
    events = [];
    bus.subscribe((event) => events.push(event));
    logs = [];
    queue = await open(options);
  };

  it("uses the caller's client without closing it, and keeps everything under troupe:<namespace>:", async () => {
    await setUp();
    await queue.enqueue({ id: "a", input: { text: "x" } });
    await queue.close();
    expect(await admin.ping()).toBe("PONG");
    const keys = await admin.keys(`troupe:${namespace}:*`);
    expect(keys.sort()).toEqual(
      [`troupe:${namespace}:open`, `troupe:${namespace}:queue`, `troupe:${namespace}:task:a`].sort(),
    );
    await expect(queue.enqueue({ id: "b", input: { text: "y" } })).rejects.toMatchObject({
      _tag: "ShuttingDown",
    });
  });

  it("re-creates a lost consumer group (stream deleted), publishes queue.repaired and loses nothing", async () => {
    await setUp();
    for (const id of ["r-1", "r-2", "r-3"]) await queue.enqueue({ id, input: { text: id } });
    const [held] = await queue.lease("w", { max: 1, waitMs: 0 });
    expect(held!.taskId).toBe("r-1");
    await queue.retry(held!, { tag: "AgentCrashed", reason: "boom" }, 0);
    const [leased] = await queue.lease("w", { max: 1, waitMs: 0 });
    await admin.del(queue.keys.queue);

    // The next command hits NOGROUP, repairs, and carries on: every unfinished task comes back.
    const taken = new Set<string>();
    const deadline = Date.now() + 5_000;
    while (taken.size < 3 && Date.now() < deadline) {
      for (const lease of await queue.lease("w", { max: 10, waitMs: 50 })) {
        taken.add(lease.taskId);
        expect(await queue.finish(lease, { status: "succeeded", output: lease.taskId })).toBe("accepted");
      }
    }
    expect([...taken].sort()).toEqual(["r-1", "r-2", "r-3"]);
    // The lease held before the repair was fenced: its task was queued again under a new fence.
    expect(await queue.finish(leased!, { status: "succeeded", output: "late" })).toBe("fenced");
    const repaired = events.filter((event) => event.type === "queue.repaired");
    expect(repaired).toEqual([
      expect.objectContaining({
        queue: `troupe:${namespace}:queue`,
        reason: expect.stringContaining("NOGROUP"),
      }),
    ]);
    expect(repaired[0]).toMatchObject({ reason: expect.stringMatching(/task\(s\) queued again/) });
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, delayed: 0, repairs: 1 });
    for (const id of ["r-1", "r-2", "r-3"])
      expect(await queue.record(id)).toMatchObject({ status: "succeeded" });
  });

  it("repairs 100,000 open tasks in bounded batches, each script run looking at 500 at most, and loses none", async () => {
    const redis = await startPrivateRedis();
    const client = new Redis(redis.url);
    const many = await createRedisWorkQueue({ redis: client, namespace: "many", maxLength: 200_000 });
    try {
      const count = 100_000;
      for (let start = 0; start < count; start += 5_000)
        await Promise.all(
          Array.from({ length: 5_000 }, (_, index) =>
            many.enqueue({ id: `o-${start + index}`, input: { text: "x" } }),
          ),
        );
      expect(await many.lease("w", { max: 1_000, waitMs: 0 })).toHaveLength(1_000);
      await client.del(many.keys.queue); // the stream and its group are gone, the records are not
      // Every open task is back on the stream, leased ones included (their holder is fenced) …
      expect(await many.stats()).toMatchObject({ ready: count, leased: 0, repairs: 1 });
      // … by one script run per 500 open tasks, never one run over all of them.
      expect((await many.stats()).repairBatches).toBeGreaterThanOrEqual(count / 500);
    } finally {
      await many.close();
      client.disconnect();
      await redis.stop();
    }
  });

  it("repairs on any command: renew and stats after the group is destroyed", async () => {
    await setUp();
    await queue.enqueue({ id: "g", input: { text: "x" } });
    const [lease] = await queue.lease("w", { max: 1, waitMs: 0 });
    await admin.xgroup("DESTROY", queue.keys.queue, queue.keys.group);
    // The entry is still on the stream but no longer leased by anyone: the lease is gone.
    expect(await queue.renew(lease!, "w")).toBe(false);
    expect(events.filter((event) => event.type === "queue.repaired")).toHaveLength(1);
    const [again] = await queue.lease("w", { max: 1, waitMs: 0 });
    expect(again).toMatchObject({ taskId: "g", attempt: 2 });
    expect(again!.fence).toBeGreaterThan(lease!.fence);
    expect(await queue.stats()).toMatchObject({ leased: 1, ready: 0 });
  });

  it("counts, logs, buries and skips malformed stream entries, and still delivers good ones", async () => {
    await setUp();
    await admin.xadd(queue.keys.queue, "*", "garbage", "1");
    await admin.xadd(queue.keys.queue, "*", "task", "bad-json", "input", "{not json");
    await admin.xadd(queue.keys.queue, "*", "task", "bad-input", "input", JSON.stringify({ text: 42 }));
    await admin.xadd(queue.keys.queue, "*", "task", "no-input");
    await queue.enqueue({ id: "good", input: { text: "fine" } });

    const leases = await queue.lease("w", { max: 10, waitMs: 0 });
    expect(leases.map((lease) => lease.taskId)).toEqual(["good"]);
    expect(await queue.stats()).toMatchObject({ malformed: 4, dead: 4, ready: 0, leased: 1 });
    // Entries with no usable record are buried inside the delivery script, bad inputs right after it.
    const dead = new Map((await queue.deadLetters()).map((letter) => [letter.taskId, letter.error]));
    expect(dead.size).toBe(4);
    const [garbage] = [...dead.keys()].filter((taskId) => /^malformed:\d+-\d+$/.test(taskId));
    expect(dead.get(garbage!)).toEqual({
      tag: "InvalidTask",
      reason: expect.stringContaining('no "task" field'),
    });
    expect(dead.get("bad-json")).toEqual({
      tag: "InvalidTask",
      reason: expect.stringContaining("its input is not JSON"),
    });
    expect(dead.get("bad-input")).toEqual({
      tag: "InvalidTask",
      reason: expect.stringMatching(/its input is not a valid task.*text/s),
    });
    expect(dead.get("no-input")).toEqual({
      tag: "InvalidTask",
      reason: expect.stringContaining('no "input" field'),
    });
    expect(logs.filter((log) => log.message.startsWith("malformed"))).toHaveLength(4);
    expect(events.filter((event) => event.type === "task.dead_lettered")).toHaveLength(4);
    expect(await admin.xlen(queue.keys.queue)).toBe(1);
    expect(await queue.lease("w", { max: 10, waitMs: 0 })).toEqual([]);
  });

  it("buries a foreign entry whose id could forge a line or whose input is over maxTaskBytes, and nothing else", async () => {
    await setUp({ maxTaskBytes: 1_000 });
    await admin.xadd(
      queue.keys.queue,
      "*",
      "task",
      "t-x\n[t-x] ✅ done",
      "input",
      JSON.stringify({ text: "hi" }),
    );
    await admin.xadd(
      queue.keys.queue,
      "*",
      "task",
      "huge",
      "input",
      JSON.stringify({ text: "x".repeat(5_000) }),
    );
    await queue.enqueue({ id: "good", input: { text: "fine" } });

    const leases = await queue.lease("w", { max: 10, waitMs: 0 });
    expect(leases.map((lease) => lease.taskId)).toEqual(["good"]);
    const dead = await queue.deadLetters();
    expect(dead.map((letter) => letter.error.reason)).toEqual([
      expect.stringContaining("its task id is not at most 128 visible ASCII characters"),
      expect.stringContaining(
        "its input is 5011 bytes, over the limit of 1000 bytes (TROUPE_MAX_TASK_BYTES)",
      ),
    ]);
    // Neither the forged line nor the oversized input is kept anywhere as raw text.
    expect(dead[0]!.taskId).toMatch(/^malformed:\d+-\d+$/);
    expect(JSON.stringify(dead)).not.toContain("\n[t-x]");
    expect(JSON.stringify(dead)).not.toContain("x".repeat(1_000));
    expect(await admin.keys(`troupe:${namespace}:task:t-x*`)).toEqual([]);
    await expect(queue.enqueue({ id: "big", input: { text: "y".repeat(2_000) } })).rejects.toMatchObject({
      _tag: "InvalidTask",
      reason: expect.stringContaining("over the limit of 1000 bytes"),
    });
    await expect(queue.enqueue({ id: "a\nb", input: { text: "y" } })).rejects.toMatchObject({
      _tag: "InvalidTask",
      reason: expect.stringContaining('"a\\nb"'),
    });
  });

  it("takes entries another producer wrote straight onto the stream", async () => {
    await setUp();
    await admin.xadd(queue.keys.queue, "*", "task", "external", "input", JSON.stringify({ text: "hi" }));
    const [lease] = await queue.lease("w", { max: 1, waitMs: 0 });
    expect(lease).toMatchObject({ taskId: "external", input: { text: "hi" }, attempt: 1 });
    expect(await queue.finish(lease!, { status: "succeeded", output: 1 })).toBe("accepted");
    expect(await queue.record("external")).toMatchObject({ status: "succeeded", output: 1 });
  });

  it("refuses enqueue with MailboxFull beyond maxLength unfinished tasks, and takes work again once some finish", async () => {
    await setUp({ maxLength: 3 });
    for (const id of ["1", "2", "3"]) await queue.enqueue({ id, input: { text: id } });
    await expect(queue.enqueue({ id: "4", input: { text: "4" } })).rejects.toMatchObject({
      _tag: "MailboxFull",
      reason: expect.stringContaining("maxLength"),
    });
    // A known id is still a no-op, not a refusal.
    await queue.enqueue({ id: "1", input: { text: "1" } });
    const [lease] = await queue.lease("w", { max: 1, waitMs: 0 });
    await queue.retry(lease!, { tag: "Timeout", reason: "slow" }, 10_000);
    // A delayed retry is still unfinished work: the queue stays full.
    await expect(queue.enqueue({ id: "4", input: { text: "4" } })).rejects.toMatchObject({
      _tag: "MailboxFull",
    });
    const [next] = await queue.lease("w", { max: 1, waitMs: 0 });
    await queue.finish(next!, { status: "cancelled", reason: "not needed" });
    await queue.enqueue({ id: "4", input: { text: "4" } });
    expect(await queue.stats()).toMatchObject({ ready: 2, delayed: 1, leased: 0 });
    expect(await queue.record(next!.taskId)).toMatchObject({ status: "cancelled" });
  });

  it("refuses a client with a keyPrefix, whose keys its scripts could not name", async () => {
    namespace = `test-${randomUUID()}`;
    const prefixed = new Redis(REDIS_URL, { keyPrefix: "app:", lazyConnect: true });
    await expect(createRedisWorkQueue({ redis: prefixed, namespace })).rejects.toThrow(/keyPrefix/);
    prefixed.disconnect();
  });

  it("refuses a bad work item with InvalidTask naming the field", async () => {
    await setUp();
    await expect(queue.enqueue({ id: "x", input: { text: 7 } as never })).rejects.toMatchObject({
      _tag: "InvalidTask",
      reason: expect.stringContaining("text"),
    });
    await expect(queue.enqueue({ id: "", input: { text: "x" } })).rejects.toMatchObject({
      _tag: "InvalidTask",
    });
  });

  it("reports the age of the oldest unfinished task and keeps an idempotency key once", async () => {
    await setUp();
    expect((await queue.stats()).oldestAgeMs).toBeUndefined();
    await queue.enqueue({ id: "old", input: { text: "x" } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await queue.stats()).oldestAgeMs).toBeGreaterThanOrEqual(25);
    expect(await queue.claimOnce("post:old", 5_000)).toBe(true);
    expect(await queue.claimOnce("post:old", 5_000)).toBe(false);
    expect(await admin.pttl(`troupe:${namespace}:idem:post:old`)).toBeGreaterThan(4_000);
    // Any time to live: a fraction of a millisecond's more, or one no key outlives.
    for (const [key, ttlMs] of [
      ["post:fraction", 5_000.25],
      ["post:forever", Number.MAX_VALUE],
    ] as const) {
      expect(await queue.claimOnce(key, ttlMs)).toBe(true);
      expect(await queue.claimOnce(key, 5_000)).toBe(false);
    }
    await expect(queue.claimOnce("post:nan", Number.NaN)).rejects.toThrow(RangeError);
  });

  it("forgets finished and dead records retainMs after they ended", async () => {
    await setUp();
    await queue.close();
    queue = await createRedisWorkQueue({ redis: admin, namespace, retainMs: 100 });
    for (const id of ["done", "buried", "later"]) await queue.enqueue({ id, input: { text: id } });
    const [done, buried, later] = await queue.lease("w", { max: 3, waitMs: 0 });
    await queue.finish(done!, { status: "succeeded", output: null });
    await queue.bury(buried!, { tag: "NoRoute", reason: "nobody" });
    expect(await queue.record("done")).toMatchObject({ status: "succeeded", output: null });
    expect(await admin.pttl(`troupe:${namespace}:task:done`)).toBe(-1); // no TTL on queue keys
    await new Promise((resolve) => setTimeout(resolve, 150));
    // The next task to end sweeps the records that ended more than retainMs ago.
    await queue.finish(later!, { status: "succeeded", output: 3 });
    expect(await queue.record("done")).toBeUndefined();
    expect(await queue.record("buried")).toBeUndefined();
    expect(await queue.record("later")).toMatchObject({ status: "succeeded", output: 3 });
    expect(await queue.deadLetters()).toEqual([expect.objectContaining({ taskId: "buried" })]);
  });

  it("keeps only unfinished work on the stream, whatever order tasks finish in", async () => {
    await setUp();
    const ids = ["s-1", "s-2", "s-3", "s-4", "s-5"];
    for (const id of ids) await queue.enqueue({ id, input: { text: id } });
    const leases = await queue.lease("w", { max: 5, waitMs: 0 });
    expect(await admin.xlen(queue.keys.queue)).toBe(5);
    const finish = (index: number) => queue.finish(leases[index]!, { status: "succeeded", output: index });
    await finish(1);
    await finish(3);
    expect(await admin.xlen(queue.keys.queue)).toBe(3);
    await finish(0);
    expect(await admin.xlen(queue.keys.queue)).toBe(2);
    await Promise.all([finish(2), finish(4)]);
    expect(await admin.xlen(queue.keys.queue)).toBe(0);
    await queue.enqueue({ id: "s-6", input: { text: "s-6" } });
    const [sixth] = await queue.lease("w", { max: 1, waitMs: 0 });
    await queue.enqueue({ id: "s-7", input: { text: "s-7" } });
    await queue.finish(sixth!, { status: "succeeded", output: 6 });
    // s-7 was never delivered: it stays.
    expect(await admin.xlen(queue.keys.queue)).toBe(1);
    expect(await queue.stats()).toMatchObject({ ready: 1, leased: 0 });
  });

  it("takes a withdrawn task's entry off the stream even among hundreds enqueued in the same moment", async () => {
    await setUp();
    const ids = Array.from({ length: 250 }, (_, index) => `w-${index}`);
    await Promise.all(ids.map((id) => queue.enqueue({ id, input: { text: id } })));
    expect(await queue.withdraw("w-230", "not needed")).toBe("withdrawn");
    expect(await queue.withdraw("w-0", "not needed")).toBe("withdrawn");
    expect(await admin.xlen(queue.keys.queue)).toBe(248);
    expect(await queue.stats()).toMatchObject({ ready: 248 });
    const leased = await queue.lease("w", { max: 300, waitMs: 0 });
    expect(leased.map((lease) => lease.taskId)).toEqual(ids.filter((id) => id !== "w-230" && id !== "w-0"));
  });
});

describe("refuseRedisCluster", () => {
  it("refuses a Redis Cluster node with a sentence saying what is supported, before any script runs", async () => {
    const cluster = await startPrivateRedis({ cluster: true });
    try {
      await expect(createRedisWorkQueue({ redis: cluster.url, namespace: "n" })).rejects.toMatchObject({
        _tag: "InvalidCommand",
        reason: expect.stringMatching(
          /Redis Cluster node, which Troupe does not support: .*standalone Redis/,
        ),
      });
      const plain = new Redis(cluster.url);
      expect(await plain.keys("*")).toEqual([]);
      plain.disconnect();
    } finally {
      await cluster.stop();
    }
  });
});

describe("maxmemoryPolicyWarning", () => {
  it("is quiet on noeviction and warns on a policy that can evict the queue", async () => {
    const server = await startPrivateRedis();
    const redis = new Redis(server.url);
    try {
      await redis.config("SET", "maxmemory-policy", "noeviction");
      expect(await maxmemoryPolicyWarning(redis)).toBeUndefined();
      await redis.config("SET", "maxmemory-policy", "allkeys-lru");
      expect(await maxmemoryPolicyWarning(redis)).toMatch(/"allkeys-lru".*evicted.*noeviction/s);
      await redis.config("SET", "maxmemory-policy", "volatile-ttl");
      expect(await maxmemoryPolicyWarning(redis)).toMatch(/"volatile-ttl".*idempotency keys/s);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });

  it("is quiet when CONFIG is not allowed", async () => {
    const refusing = { config: () => Promise.reject(new Error("NOPERM this user has no permissions")) };
    expect(await maxmemoryPolicyWarning(refusing as never)).toBeUndefined();
  });
});
