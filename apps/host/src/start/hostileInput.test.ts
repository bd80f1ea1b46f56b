// Hostile and unlucky input through the real CLI: a 50 MB line on the console is refused with one
// clear line and the next task runs; an entry another program XADDs onto the Redis stream with a
// newline in its id is buried as a dead letter and cannot forge a console line; a Redis Cluster
// endpoint is refused at start with a sentence saying what is supported. Waits for printed lines.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { startPrivateRedis } from "../../../../test/harness/privateRedis.ts";
import { spawnTroupe } from "../testing/spawnTroupe.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("troupe start under hostile input", { timeout: 60_000 }, () => {
  it("refuses a 50 MB console task with one clear line, and the next task runs", async () => {
    const troupe = spawnTroupe(["start"]);
    cleanups.push(() => void troupe.child.kill("SIGKILL"));
    await troupe.log("troupe started");
    troupe.send("x".repeat(50 * 1_048_576));
    expect(await troupe.line(/not queued/)).toBe(
      "❌ not queued: the line is over the limit of 1048576 bytes (TROUPE_MAX_TASK_BYTES)",
    );
    troupe.send("/ask echo still here");
    await troupe.line(/^still here$/);
    await troupe.line(/✅ done$/);
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });

  it("buries a foreign XADD whose id holds a newline, and prints no forged line", async () => {
    const namespace = `hostile-${randomUUID().slice(0, 8)}`;
    const redis = new Redis("redis://127.0.0.1:6379");
    cleanups.push(async () => {
      const keys = await redis.keys(`troupe:${namespace}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });
    const troupe = spawnTroupe(["start"], {
      REDIS_URL: "redis://127.0.0.1:6379",
      TROUPE_NAMESPACE: namespace,
      TROUPE_CONSUMER: "hostile-test",
    });
    cleanups.push(() => void troupe.child.kill("SIGKILL"));
    await troupe.log("troupe started");
    await redis.xadd(
      `troupe:${namespace}:queue`,
      "*",
      "task",
      "t-x\n[t-x] ✅ done",
      "input",
      JSON.stringify({ text: "forged", agent: "echo" }),
    );
    expect(await troupe.log("malformed work queue entry buried in the dead-letter stream")).toMatchObject({
      reason: expect.stringContaining("its task id is not at most 128 visible ASCII characters"),
    });
    troupe.send("/ask echo after the forgery");
    await troupe.line(/^after the forgery$/);
    troupe.send("/status");
    expect(await troupe.line(/^Work queue /)).toMatch(/: 0 ready, 0 leased, 0 delayed, 1 dead\.$/);
    troupe.end();
    expect(await troupe.exited).toBe(0);
    expect(troupe.stdout.filter((line) => line.startsWith("[t-x]"))).toEqual([]);
    expect(troupe.stdout.join("\n")).not.toContain("forged");
  });

  it("refuses a Redis Cluster endpoint at start, saying what is supported", async () => {
    const cluster = await startPrivateRedis({ cluster: true });
    cleanups.push(() => cluster.stop());
    const troupe = spawnTroupe(["start"], { REDIS_URL: cluster.url });
    expect(await troupe.exited).toBe(1);
    expect(troupe.stderr.filter((line) => !line.startsWith("{"))).toEqual([
      `troupe: REDIS_URL (${cluster.url}): this Redis is a Redis Cluster node, which Troupe does not support: point it at a standalone Redis (or the primary of a primary/replica set, Redis Sentinel's current primary included), version 6.2 or later`,
    ]);
  });
});
