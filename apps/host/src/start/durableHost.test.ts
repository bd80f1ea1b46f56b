// The host keeps its work: on the embedded store a task cut off by SIGKILL runs again after a restart
// while a finished one does not, and with REDIS_URL the same console runs its tasks through the Redis
// Streams queue; a second start on the same data folder under the same (default) consumer name is
// refused while the first runs, so it never takes the first one's running task over. Driven through
// the real CLI, waiting for printed lines, never sleeping.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConsumer } from "../config/hostConfig.ts";
import { spawnTroupe, type TroupeProcess } from "../testing/spawnTroupe.ts";

const TASK_ID = /^\[(t-[0-9a-f]+)\]/;
const idOf = (line: string) => TASK_ID.exec(line)![1]!;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The ids of the first `count` tasks queued from stdout line `from` on, in order. */
const queuedIds = async (troupe: TroupeProcess, count: number, from = 0) => {
  const ids: string[] = [];
  while (ids.length < count) {
    const line = await troupe.line("📥 queued", { from });
    from = troupe.stdout.indexOf(line) + 1;
    ids.push(idOf(line));
  }
  return ids;
};

// Each test starts troupe once or twice; the restart test also waits for two 2 s tasks.
describe("troupe start keeps its work", { timeout: 30_000 }, () => {
  it("resumes the tasks a SIGKILL cut off and does not run finished ones again", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "troupe-restart-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { TROUPE_DATA_DIR: dataDir, TROUPE_TEST_AGENTS: "slow", TROUPE_CONSUMER: "restart-test" };

    const first = spawnTroupe(["start"], env);
    cleanups.push(() => void first.child.kill("SIGKILL"));
    expect(await first.log("work queue: embedded SQLite")).toMatchObject({
      store: "sqlite",
      path: join(dataDir, "default.sqlite"),
    });
    first.send("/ask echo finished before the crash");
    await first.line(/^finished before the crash$/);
    const finished = idOf(await first.line("✅ done"));
    // The slow agent runs one task at a time: one is running and one waits for it when troupe dies.
    const sentAt = first.stdout.length;
    first.send("/ask slow 2000");
    first.send("/ask slow 2000");
    const cutOff = await queuedIds(first, 2, sentAt);
    await first.line(`[${cutOff[0]}] ⚙️ working`);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    for (const id of cutOff) expect(first.stdout.join("\n")).not.toContain(`[${id}] ✅`);

    const second = spawnTroupe(["start"], env);
    cleanups.push(() => void second.child.kill("SIGKILL"));
    // A resumed task's ✅ comes after its result, though this life of the console did not queue it.
    for (const id of cutOff) {
      const doneAt = second.stdout.indexOf(await second.line(`[${id}] ✅ done`));
      expect(second.stdout[doneAt - 1]).toBe("slept 2000ms");
    }
    // A permanent failure is said once: one ❌, with its reason.
    const sentAgainAt = second.stdout.length;
    second.send("/ask slow not-a-number");
    const [bad] = await queuedIds(second, 1, sentAgainAt);
    await second.line(`[${bad}] ❌`);
    second.send("/status");
    expect(await second.line(/^Work queue /)).toMatch(
      /^Work queue \(SQLite .*default\.sqlite\): 0 ready, 0 leased, 0 delayed, 1 dead\.$/,
    );
    second.end();
    expect(await second.exited).toBe(0);
    const after = second.stdout.join("\n");
    expect(after).not.toContain(finished);
    for (const id of cutOff)
      expect(second.stdout.filter((line) => line.startsWith(`[${id}] 👀`))).toHaveLength(1);
    expect(second.stdout.filter((line) => line.startsWith(`[${bad}] ❌`))).toEqual([
      `[${bad}] ❌ failed: slow needs a whole number of milliseconds up to 600000`,
    ]);
  });

  it("refuses a second start under the same name on the same data folder; the first one's task runs once", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "troupe-twice-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // No TROUPE_CONSUMER: both take the default name, the machine's.
    const env = { TROUPE_DATA_DIR: dataDir, TROUPE_TEST_AGENTS: "slow" };
    const first = spawnTroupe(["start"], env);
    cleanups.push(() => void first.child.kill("SIGKILL"));
    await first.log("troupe started");
    first.send("/ask slow 1500");
    const [running] = await queuedIds(first, 1);
    await first.line(`[${running}] ⚙️ working`);

    const second = spawnTroupe(["start"], env);
    cleanups.push(() => void second.child.kill("SIGKILL"));
    expect(await second.exited).toBe(1);
    const said = second.stderr.filter((line) => !line.startsWith("{"));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      new RegExp(
        `^troupe: the consumer name "${defaultConsumer()}" is in use on ${join(dataDir, "default.sqlite")} by process ${first.child.pid} on this machine, since [0-9T:.-]+Z\\. Two hosts with one name would take each other's running tasks over: stop that one first, or give this one its own name with TROUPE_CONSUMER \\(or --consumer\\)\\.$`,
      ),
    );
    expect(second.stdout).toEqual([]);

    await first.line(`[${running}] ✅ done`);
    first.end();
    expect(await first.exited).toBe(0);
    expect(first.stdout.filter((line) => line.startsWith(`[${running}] 👀`))).toHaveLength(1);
    // Once the first has stopped, the name is free again.
    const third = spawnTroupe(["start"], env);
    cleanups.push(() => void third.child.kill("SIGKILL"));
    await third.log("troupe started");
    third.end();
    expect(await third.exited).toBe(0);
  });

  it("runs tasks through the Redis work queue with REDIS_URL, and never shows its password", async () => {
    const namespace = `host-test-${randomUUID().slice(0, 8)}`;
    const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
    await redis.connect();
    cleanups.push(async () => {
      const keys = await redis.keys(`troupe:${namespace}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });
    // Redis here has no password: ioredis sends none unless the server asks (a username alone is not sent).
    const troupe = spawnTroupe(["start"], {
      REDIS_URL: "redis://:not-a-real-secret@127.0.0.1:6379",
      TROUPE_NAMESPACE: namespace,
      TROUPE_CONSUMER: "redis-test",
    });
    cleanups.push(() => void troupe.child.kill("SIGKILL"));
    expect(await troupe.log("work queue: Redis Streams")).toMatchObject({
      store: "redis",
      url: "redis://:***@127.0.0.1:6379",
      namespace,
    });
    await troupe.log("event mirror: Redis pub/sub");
    troupe.send("/ask echo hello through redis");
    await troupe.line(/^hello through redis$/);
    const id = idOf(await troupe.line("✅ done"));
    troupe.send("/status");
    expect(await troupe.line(/^Work queue /)).toBe(
      `Work queue (Redis redis://:***@127.0.0.1:6379, namespace ${namespace}): 0 ready, 0 leased, 0 delayed, 0 dead.`,
    );
    troupe.end();
    expect(await troupe.exited).toBe(0);
    expect(await redis.exists(`troupe:${namespace}:task:${id}`)).toBe(1);
    expect([...troupe.stdout, ...troupe.stderr].join("\n")).not.toContain("not-a-real-secret");
  });

  it("says in one line when Redis cannot be reached, without the password", async () => {
    const troupe = spawnTroupe(["start"], { REDIS_URL: "redis://:not-a-real-secret@127.0.0.1:1" });
    expect(await troupe.exited).toBe(1);
    expect(troupe.stderr.filter((line) => !line.startsWith("{"))).toEqual([
      "troupe: cannot connect to Redis at redis://:***@127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1",
    ]);
    expect(troupe.stderr.join("\n")).not.toContain("not-a-real-secret");
  });
});
