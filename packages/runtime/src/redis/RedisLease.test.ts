// The Redis lease on a real Redis: of two contenders exactly one wins; a renewing holder keeps it past
// its ttl; a holder that dies (its connection gone) learns it lost the lease and the other takes it
// after the ttl; a release lets the other in at once; a holder whose key was taken over learns so on
// its next renewal and never deletes the new holder's key. `confirm()` answers from the last renewal
// while it is younger than half the ttl, and asks Redis (once for a burst) in a process resumed after a
// freeze, before its timers have run: false when the key went meanwhile, true with a full ttl again
// when it is still its own.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type LeaseLostReason, RedisLease } from "./RedisLease.ts";

const URL = "redis://127.0.0.1:6379";

let redis: Redis;
let key: string;
const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  redis = new Redis(URL);
  key = `troupe:test-${randomUUID()}:discord:gateway`;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await redis.del(key);
  await redis.quit();
});

/** A lease on its own connection (so the test can cut it), released and closed after the test. */
const contender = (holder: string, ttlMs: number, pollEveryMs?: number) => {
  const connection = new Redis(URL, { maxRetriesPerRequest: 1 });
  const lease = new RedisLease({
    redis: connection,
    key,
    ttlMs,
    holder,
    ...(pollEveryMs === undefined ? {} : { pollEveryMs }),
  });
  cleanups.push(async () => {
    await lease.release();
    connection.disconnect();
  });
  return { lease, connection };
};

/** Block the event loop, as a SIGSTOP would: no timer or I/O callback of this process runs meanwhile. */
const freeze = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A holder that renews only when asked to confirm (its own renewals are a minute apart). */
const confirmer = (ttlMs: number) => {
  const connection = new Redis(URL, { maxRetriesPerRequest: 1 });
  const lease = new RedisLease({ redis: connection, key, ttlMs, renewEveryMs: 60_000, holder: "host-a" });
  cleanups.push(async () => {
    await lease.release();
    connection.disconnect();
  });
  return { lease, scripts: vi.spyOn(connection, "evalsha") };
};

const lost = (lease: RedisLease) =>
  new Promise<LeaseLostReason>((resolve) => {
    const stop = lease.onLost((reason) => {
      stop();
      resolve(reason);
    });
  });

describe("RedisLease", () => {
  it("lets exactly one of two contenders win, and names it in the key", async () => {
    const a = contender("host-a", 10_000).lease;
    const b = contender("host-b", 10_000).lease;
    const wins = await Promise.all([a.tryAcquire(), b.tryAcquire()]);
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect([a.held, b.held]).toEqual(wins);
    const winner = a.held ? a : b;
    const loser = a.held ? b : a;
    expect(await loser.holder()).toBe(winner.token);
    expect(winner.token).toMatch(a.held ? /^host-a\// : /^host-b\//);
    expect(await loser.tryAcquire()).toBe(false);
  });

  it("keeps the lease past its ttl while the holder renews it", async () => {
    const a = contender("host-a", 1_000).lease;
    const b = contender("host-b", 1_000, 50).lease;
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.waitUntilAcquired(AbortSignal.timeout(2_500))).toBe(false);
    expect(a.held).toBe(true);
    expect(await redis.get(key)).toBe(a.token);
  });

  it("goes to the other contender after the ttl when the holder dies, and the dead holder knows it lost", async () => {
    const a = contender("host-a", 600);
    const b = contender("host-b", 600, 50).lease;
    expect(await a.lease.tryAcquire()).toBe(true);
    const aLost = lost(a.lease);
    a.connection.disconnect(); // no more renewals, and no release
    expect(await b.tryAcquire()).toBe(false);
    expect(await b.waitUntilAcquired(AbortSignal.timeout(5_000))).toBe(true);
    expect(await aLost).toBe("unreachable");
    expect(a.lease.held).toBe(false);
    expect(await redis.get(key)).toBe(b.token);
  });

  it("lets the other contender in at once when the holder releases it", async () => {
    const a = contender("host-a", 60_000).lease;
    const b = contender("host-b", 60_000, 50).lease;
    expect(await a.tryAcquire()).toBe(true);
    const waiting = b.waitUntilAcquired(AbortSignal.timeout(5_000));
    await a.release();
    expect(a.held).toBe(false);
    // Long before the 60 s ttl: only the release can have let b in.
    expect(await waiting).toBe(true);
    expect(await redis.get(key)).toBe(b.token);
  });

  it("tells a holder whose key was taken over that it lost, and leaves the new holder's key alone", async () => {
    const a = contender("host-a", 600).lease;
    expect(await a.tryAcquire()).toBe(true);
    const aLost = lost(a);
    await redis.set(key, "host-b/intruder", "PX", 60_000);
    expect(await aLost).toBe("taken");
    expect(a.held).toBe(false);
    await a.release();
    expect(await redis.get(key)).toBe("host-b/intruder");
  });

  it("confirms from its last renewal while that is fresh, and asks Redis once for a burst after a freeze", async () => {
    const { lease, scripts } = confirmer(600);
    expect(await lease.tryAcquire()).toBe(true);
    expect(await Promise.all([lease.confirm(), lease.confirm(), lease.confirm()])).toEqual([
      true,
      true,
      true,
    ]);
    expect(scripts).not.toHaveBeenCalled();
    const aLost = lost(lease);
    freeze(800); // past the ttl: Redis expired the key, and the lease's own timers have not run yet
    expect(lease.held).toBe(true); // the stale flag a resumed process would read
    const answers = Promise.all([lease.confirm(), lease.confirm(), lease.confirm()]);
    expect(scripts).toHaveBeenCalledTimes(1); // one renewal for the three
    expect(await answers).toEqual([false, false, false]);
    await aLost;
    expect(lease.held).toBe(false);
    expect(await lease.confirm()).toBe(false);
    expect(await redis.get(key)).toBeNull();
  });

  it("renews when its last confirmation is stale but the key is still its own: true, with the ttl full again", async () => {
    const { lease, scripts } = confirmer(3_000);
    expect(await lease.tryAcquire()).toBe(true);
    freeze(1_700); // past half the ttl, within the ttl
    expect(await lease.confirm()).toBe(true);
    expect(scripts).toHaveBeenCalledTimes(1);
    expect(await redis.pttl(key)).toBeGreaterThan(2_000);
    expect(await lease.confirm()).toBe(true);
    expect(scripts).toHaveBeenCalledTimes(1);
  });
});
