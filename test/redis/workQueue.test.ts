// The Redis work queue across processes: worker processes (test/fixtures/queueWorker.ts) share tasks
// on one Redis while the tests kill one (SIGKILL), pause one past its lease (SIGSTOP/SIGCONT),
// restart a private Redis under them, and feed them a poison task. Outcomes are read from the
// fixture's idempotent ledger and the queue's records, never guessed from timing: the tests wait for
// the workers' stdout lines or poll Redis until a condition holds, each within a deadline.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { RuntimeEvent } from "@troupe/runtime";
import { createRedisWorkQueue, deleteNamespace, type RedisWorkQueue } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "../harness/privateRedis.ts";

const SHARED_REDIS = "redis://127.0.0.1:6379";
const root = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURE = "test/fixtures/queueWorker.ts";

type Line = RuntimeEvent | { type: "ready" | "stopped"; consumer?: string; pid?: number };

interface WorkerProcess {
  readonly consumer: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: Line[];
  /** The first line (past or future) matching, within `withinMs`. */
  waitFor<L extends Line = Line>(predicate: (line: Line) => boolean, withinMs?: number): Promise<L>;
  readonly exited: Promise<void>;
}

const children = new Set<WorkerProcess>();

const startWorkerProcess = (config: {
  redis: string;
  namespace: string;
  consumer: string;
  leaseMs?: number;
  renewEveryMs?: number;
  concurrency?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  pollWaitMs?: number;
}): WorkerProcess => {
  const full = {
    leaseMs: 1_000,
    renewEveryMs: 200,
    concurrency: 8,
    maxAttempts: 5,
    backoffBaseMs: 100,
    pollWaitMs: 200,
    ...config,
  };
  const child = spawn(process.execPath, ["--conditions=troupe-source", FIXTURE, JSON.stringify(full)], {
    cwd: root,
  });
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  let partial = "";
  child.stdout.on("data", (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split("\n");
    partial = complete.pop() ?? "";
    for (const text of complete) if (text.trim() !== "") lines.push(JSON.parse(text) as Line);
    for (const wake of waiters) wake();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => {
    for (const wake of waiters) wake();
  });
  const worker: WorkerProcess = {
    consumer: config.consumer,
    child,
    lines,
    exited,
    waitFor: <L extends Line>(predicate: (line: Line) => boolean, withinMs = 15_000) =>
      new Promise<L>((resolve, reject) => {
        const check = () => {
          const found = lines.find(predicate);
          if (found) {
            done();
            resolve(found as L);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`worker ${config.consumer} exited before the awaited line; stderr: ${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`worker ${config.consumer}: no awaited line within ${withinMs} ms; stderr: ${stderr}`),
          );
        }, withinMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
  children.add(worker);
  return worker;
};

/** Poll until `condition` holds, or fail naming `what` after `withinMs`. */
const until = async (what: string, condition: () => Promise<boolean>, withinMs = 20_000) => {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still waiting after ${withinMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

let admin: Redis;
let namespace: string;
let queue: RedisWorkQueue | undefined;
const key = (name: string) => `troupe:${namespace}:${name}`;

beforeAll(() => {
  admin = new Redis(SHARED_REDIS);
});
afterAll(async () => {
  await admin.quit();
});
afterEach(async () => {
  await Promise.all(
    [...children].map(async (worker) => {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill("SIGCONT");
        worker.child.kill("SIGKILL");
      }
      await worker.exited;
    }),
  );
  children.clear();
  await queue?.close();
  queue = undefined;
  await deleteNamespace(admin, namespace);
});

const newNamespace = () => {
  namespace = `test-${randomUUID()}`;
  return namespace;
};

describe("the Redis work queue across processes", () => {
  it("two workers share 1,000 tasks; one is SIGKILLed mid-task; every task completes exactly once", async () => {
    newNamespace();
    queue = await createRedisWorkQueue({ redis: admin, namespace, leaseMs: 1_000 });
    const ids = Array.from({ length: 1_000 }, (_, index) => `t-${String(index).padStart(4, "0")}`);
    await Promise.all(
      ids.map((id) => queue!.enqueue({ id, input: { text: id, needs: ["ledger"], input: { delayMs: 3 } } })),
    );
    const victim = startWorkerProcess({ redis: SHARED_REDIS, namespace, consumer: "victim" });
    startWorkerProcess({ redis: SHARED_REDIS, namespace, consumer: "survivor" });

    // Kill the victim once it has finished 100 tasks, while it holds leases: between two leases it
    // holds none, so it is frozen first and killed only when Redis shows it holding some.
    let succeeded = 0;
    await victim.waitFor((line) => line.type === "task.succeeded" && ++succeeded >= 100);
    const pending = async () =>
      (await admin.xpending(key("queue"), "workers", "-", "+", 100, "victim")) as unknown[];
    await until("the victim frozen while it holds leases", async () => {
      victim.child.kill("SIGSTOP");
      if ((await pending()).length > 0) return true;
      victim.child.kill("SIGCONT");
      return false;
    });
    victim.child.kill("SIGKILL");
    await victim.exited;
    const held = await pending();
    expect(held.length).toBeGreaterThan(0);

    await until("1,000 ledger entries and no unfinished task", async () => {
      const [logged, open] = await Promise.all([admin.llen(key("ledger-log")), admin.zcard(key("open"))]);
      return logged >= 1_000 && open === 0;
    });

    const log = await admin.lrange(key("ledger-log"), 0, -1);
    expect(log).toHaveLength(1_000);
    expect(new Set(log).size).toBe(1_000);
    expect([...log].sort()).toEqual(ids);
    const statuses = await Promise.all(ids.map((id) => admin.hget(key(`task:${id}`), "status")));
    expect(statuses.filter((status) => status !== "succeeded")).toEqual([]);
    // The survivor took over what the victim held: those tasks ran a second time (attempt 2).
    const attempts = await Promise.all(ids.map((id) => admin.hget(key(`task:${id}`), "attempts")));
    expect(attempts.filter((count) => Number(count) >= 2).length).toBeGreaterThanOrEqual(held.length);
    const ledger = await admin.hgetall(key("ledger"));
    expect(Object.keys(ledger)).toHaveLength(1_000);
    expect(new Set(Object.values(ledger))).toEqual(new Set(["victim", "survivor"]));
    // The notification guarded by an idempotency key never ran twice.
    const notified = await admin.lrange(key("notify-log"), 0, -1);
    expect(new Set(notified).size).toBe(notified.length);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, delayed: 0, dead: 0 });
  }, 45_000);

  it("a worker paused past its lease resumes after a takeover, and its late result is refused", async () => {
    newNamespace();
    queue = await createRedisWorkQueue({ redis: admin, namespace, leaseMs: 1_000 });
    const paused = startWorkerProcess({ redis: SHARED_REDIS, namespace, consumer: "paused" });
    await paused.waitFor((line) => line.type === "ready");
    await queue.enqueue({
      id: "slow",
      input: { text: "slow", needs: ["ledger"], input: { delayMs: 1_500 } },
    });
    await paused.waitFor((line) => line.type === "task.started" && line.taskId === "slow");
    paused.child.kill("SIGSTOP");

    const rescuer = startWorkerProcess({ redis: SHARED_REDIS, namespace, consumer: "rescuer" });
    // The rescuer's outcome is in the queue's record (task.recorded follows an accepted finish).
    await rescuer.waitFor((line) => line.type === "task.recorded" && line.taskId === "slow");
    expect(await queue.record("slow")).toMatchObject({
      status: "succeeded",
      attempts: 2,
      output: { by: "rescuer", applied: true },
    });

    paused.child.kill("SIGCONT");
    const refused = await paused.waitFor((line) => line.type === "task.result_refused");
    expect(refused).toMatchObject({ taskId: "slow", fence: 1 });
    expect(await admin.hgetall(key("ledger"))).toEqual({ slow: "rescuer" });
    expect(await admin.lrange(key("ledger-log"), 0, -1)).toEqual(["slow"]);
    expect(await admin.lrange(key("notify-log"), 0, -1)).toEqual(["slow"]);
    expect(await queue.record("slow")).toMatchObject({ status: "succeeded", output: { by: "rescuer" } });
  }, 30_000);

  describe("on a private Redis restarted mid-run (no persistence)", () => {
    let server: PrivateRedis;
    let privateAdmin: Redis;
    beforeAll(async () => {
      server = await startPrivateRedis();
      privateAdmin = new Redis(server.url);
      privateAdmin.on("error", () => {});
    });
    afterAll(async () => {
      privateAdmin.disconnect();
      await server.stop();
    });

    it("repairs the consumer group and completes the tasks enqueued after the restart", async () => {
      newNamespace();
      const worker = startWorkerProcess({ redis: server.url, namespace, consumer: "worker" });
      queue = await createRedisWorkQueue({ redis: privateAdmin, namespace, leaseMs: 1_000 });
      const before = Array.from({ length: 20 }, (_, index) => `before-${index}`);
      for (const id of before) await queue.enqueue({ id, input: { text: id, needs: ["ledger"] } });
      await until(
        "the tasks before the restart",
        async () => (await privateAdmin.llen(key("ledger-log"))) === 20,
      );

      await server.restart();
      // Everything Redis held is gone with it (it had no persistence), the consumer group included.
      await until(
        "the restarted Redis to answer",
        async () => (await privateAdmin.ping().catch(() => "")) === "PONG",
      );
      expect(await privateAdmin.llen(key("ledger-log"))).toBe(0);
      const repaired = await worker.waitFor((line) => line.type === "queue.repaired");
      expect(repaired).toMatchObject({ queue: key("queue"), reason: expect.stringContaining("NOGROUP") });

      const after = Array.from({ length: 20 }, (_, index) => `after-${index}`);
      for (const id of after) await queue.enqueue({ id, input: { text: id, needs: ["ledger"] } });
      await until(
        "the tasks after the restart",
        async () => (await privateAdmin.llen(key("ledger-log"))) === 20,
      );
      expect((await privateAdmin.lrange(key("ledger-log"), 0, -1)).sort()).toEqual([...after].sort());
      await until("no unfinished task", async () => (await privateAdmin.zcard(key("open"))) === 0);
      for (const id of after) expect(await queue.record(id)).toMatchObject({ status: "succeeded" });
    }, 30_000);
  });

  describe("on a private Redis with an append-only file, restarted mid-run", () => {
    let server: PrivateRedis;
    let privateAdmin: Redis;
    beforeAll(async () => {
      server = await startPrivateRedis({ persistent: true });
      privateAdmin = new Redis(server.url);
      privateAdmin.on("error", () => {});
    });
    afterAll(async () => {
      privateAdmin.disconnect();
      await server.stop();
    });

    it("loses no task: the ones queued and in flight at the restart complete exactly once", async () => {
      newNamespace();
      const worker = startWorkerProcess({ redis: server.url, namespace, consumer: "worker" });
      queue = await createRedisWorkQueue({ redis: privateAdmin, namespace, leaseMs: 1_000 });
      const ids = Array.from({ length: 300 }, (_, index) => `t-${index}`);
      for (const id of ids) await queue.enqueue({ id, input: { text: id, needs: ["ledger"] } });
      await until(
        "some tasks done before the restart",
        async () => (await privateAdmin.llen(key("ledger-log"))) >= 30,
      );

      await server.restart();
      await until(
        "the restarted Redis to answer",
        async () => (await privateAdmin.ping().catch(() => "")) === "PONG",
      );
      expect(await privateAdmin.llen(key("ledger-log"))).toBeLessThan(300);

      await until("every task", async () => (await privateAdmin.llen(key("ledger-log"))) >= 300, 25_000);
      const log = await privateAdmin.lrange(key("ledger-log"), 0, -1);
      expect(log).toHaveLength(300);
      expect(new Set(log).size).toBe(300);
      await until("no unfinished task", async () => (await privateAdmin.zcard(key("open"))) === 0);
      expect(worker.lines.some((line) => line.type === "queue.repaired")).toBe(false);
    }, 40_000);
  });

  it("buries a poison task in the dead-letter stream after maxAttempts, backing off between attempts", async () => {
    newNamespace();
    queue = await createRedisWorkQueue({ redis: admin, namespace, leaseMs: 1_000 });
    const worker = startWorkerProcess({
      redis: SHARED_REDIS,
      namespace,
      consumer: "worker",
      maxAttempts: 3,
      backoffBaseMs: 200,
    });
    await queue.enqueue({ id: "poison", input: { text: "x", needs: ["ledger"], input: { fail: true } } });
    const buried = await worker.waitFor((line) => line.type === "task.dead_lettered");
    expect(buried).toMatchObject({ taskId: "poison", attempts: 3, error: { tag: "AgentCrashed" } });

    const startedAt = worker.lines
      .filter((line) => line.type === "task.started" && line.taskId === "poison")
      .map((line) => (line as RuntimeEvent).at);
    expect(startedAt).toHaveLength(3);
    // Equal jitter: the wait before attempt n+1 is at least half of base · 2^(n−1).
    expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(100);
    expect(startedAt[2]! - startedAt[1]!).toBeGreaterThanOrEqual(200);

    expect(await queue.deadLetters()).toEqual([
      {
        taskId: "poison",
        input: { text: "x", needs: ["ledger"], input: { fail: true } },
        attempts: 3,
        error: { tag: "AgentCrashed", reason: expect.stringContaining("poison task poison") },
        at: expect.any(Number),
      },
    ]);
    expect(await queue.record("poison")).toMatchObject({ status: "dead", attempts: 3 });
    expect(await queue.stats()).toMatchObject({ dead: 1, ready: 0, leased: 0, delayed: 0 });
    expect(await admin.llen(key("ledger-log"))).toBe(0);
  }, 30_000);
});
