// Two `troupe` hosts on one Redis share the work by what they can start: each leases one task per
// idle agent, so eight slow tasks queued on one host run on both instead of one host leasing all
// eight while the other sits idle; and a host paused (SIGSTOP) past its lease, whose tasks the other
// host took over, does not start the ones it had leased but not started once it resumes. Which host
// ran a task is the queue's record of its last holder.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../testing/spawnTroupe.ts";

const REDIS_URL = "redis://127.0.0.1:6379";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const idOf = (line: string) => /^\[(t-[0-9a-f]+)\]/.exec(line)?.[1] ?? "";

/** The ids of the first `count` tasks the console says it queued. */
const queuedIds = async (troupe: TroupeProcess, count: number) => {
  const ids: string[] = [];
  let from = 0;
  while (ids.length < count) {
    const line = await troupe.line("📥 queued", { from });
    from = troupe.stdout.indexOf(line) + 1;
    ids.push(idOf(line));
  }
  return ids;
};

/** A namespace of its own on the shared Redis, and hosts on it, all removed after the test. */
const onRedis = (env: Record<string, string> = {}) => {
  const namespace = `hosts-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL);
  cleanups.push(async () => {
    const keys = await redis.keys(`troupe:${namespace}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  const host = (consumer: string) => {
    const troupe = spawnTroupe(["start"], {
      REDIS_URL,
      TROUPE_NAMESPACE: namespace,
      TROUPE_CONSUMER: consumer,
      TROUPE_TEST_AGENTS: "slow",
      ...env,
    });
    cleanups.push(() => {
      troupe.child.kill("SIGCONT");
      troupe.child.kill("SIGKILL");
    });
    return troupe;
  };
  /** The queue's record of a task: its status, attempts and last holder. */
  const record = (id: string) => redis.hgetall(`troupe:${namespace}:task:${id}`);
  return { host, record };
};

describe("two hosts on one Redis", { timeout: 60_000 }, () => {
  it("spread slow tasks over both hosts instead of one host leasing them all", async () => {
    const { host, record } = onRedis();
    const a = host("host-a");
    const b = host("host-b");
    await Promise.all([a.log("troupe started"), b.log("troupe started")]);

    for (let index = 0; index < 8; index += 1) a.send("/ask slow 1500");
    const ids = await queuedIds(a, 8);
    for (const id of ids) await a.line(`[${id}] ✅ done`);

    const ranOn = await Promise.all(ids.map(async (id) => (await record(id)).consumer));
    const count = (consumer: string) => ranOn.filter((holder) => holder === consumer).length;
    expect(count("host-a") + count("host-b")).toBe(8);
    expect(count("host-a")).toBeGreaterThanOrEqual(2);
    expect(count("host-b")).toBeGreaterThanOrEqual(2);

    a.end();
    b.end();
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  });

  it("a host resumed after a pause past its lease does not start the tasks it had lost", async () => {
    const { host, record } = onRedis({ TROUPE_LEASE: "2s" });
    const a = host("host-a");
    await a.log("troupe started");
    // One runs on `slow`; two wait for it, leased by host-a for the room of its idle agents.
    for (let index = 0; index < 3; index += 1) a.send("/ask slow 2000");
    const ids = await queuedIds(a, 3);
    const [running, ...waiting] = ids;
    await a.line(`[${running}] ⚙️ working`);
    a.child.kill("SIGSTOP");

    // host-b takes all three over once host-a's leases have run out.
    const b = host("host-b");
    await b.log("troupe started");
    for (const id of ids)
      await expect.poll(async () => (await record(id)).consumer, { timeout: 15_000 }).toBe("host-b");
    let from = a.logs.length;
    a.child.kill("SIGCONT");
    const dropped: unknown[] = [];
    for (const _ of waiting) {
      const log = await a.log("a leased task was taken over before it started; not starting it here", {
        from,
      });
      dropped.push(log.taskId);
      from = a.logs.indexOf(log) + 1;
    }
    expect(dropped.sort()).toEqual([...waiting].sort());

    // Each task ran to its end on host-b, its second delivery.
    for (const id of ids) await a.line(`[${id}] ✅ done`);
    for (const id of ids)
      expect(await record(id)).toMatchObject({ status: "succeeded", consumer: "host-b", attempts: "2" });
    a.end();
    b.end();
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  });
});
