// A consumer name on Redis: held by one claim at a time; a claim of a name whose holder renews waits
// one ttl and is refused naming the holder; a holder that stopped renewing is waited out; a gone
// process of this machine is taken over at once; a release frees the name at once.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsumerName } from "../durable/ConsumerName.ts";
import { claimRedisConsumerName } from "./RedisConsumerName.ts";

let redis: Redis;
let namespace: string;
const claims: ConsumerName[] = [];
beforeEach(() => {
  redis = new Redis("redis://127.0.0.1:6379");
  namespace = `test-${randomUUID()}`;
});
afterEach(async () => {
  for (const claim of claims.splice(0)) await claim.release();
  await redis.del(`troupe:${namespace}:consumer:box-1`);
  await redis.quit();
});

const claim = async (ttlMs = 300) => {
  const held = await claimRedisConsumerName({ redis, namespace, consumer: "box-1", ttlMs });
  claims.push(held);
  return held;
};

/** Put a holder's token in the key, as another process would have. */
const heldBy = (holder: { pid: number; host: string }, ttlMs: number) =>
  redis.set(
    `troupe:${namespace}:consumer:box-1`,
    `${JSON.stringify({ ...holder, since: Date.now() })}/${randomUUID()}`,
    "PX",
    ttlMs,
  );

describe("claimRedisConsumerName", () => {
  it("refuses a name whose holder renews it, naming the holder, and frees it on release", async () => {
    const first = await claim();
    await expect(claim()).rejects.toMatchObject({
      _tag: "ConsumerNameInUse",
      reason: expect.stringMatching(
        new RegExp(
          `^the consumer name "box-1" is in use on Redis namespace "${namespace}" by process ${process.pid} on this machine`,
        ),
      ),
    });
    expect(first.held).toBe(true);
    await first.release();
    expect((await claim()).held).toBe(true);
  });

  it("waits out a holder of another machine that stopped renewing", async () => {
    await heldBy({ pid: 1, host: "some-other-box" }, 200);
    expect((await claim(300)).held).toBe(true);
  });

  it("takes the name over at once from a process of this machine that is gone", async () => {
    const gone = spawnSync("node_modules/.bin/node", ["-e", "process.exit(0)"], {
      cwd: new URL("../../../../", import.meta.url).pathname,
    }).pid;
    const { hostname } = await import("node:os");
    await heldBy({ pid: gone!, host: hostname() }, 60_000);
    // With a one-minute ttl, only a takeover can make this claim succeed within the test's time.
    expect((await claim(60_000)).held).toBe(true);
  });
});
