// A lease in Redis that at most one holder has at a time, such as the Discord gateway among several
// hosts on one Redis. SET NX PX takes it, a compare-and-PEXPIRE script renews it and a
// compare-and-DEL script gives it back, so only the holder's token ever extends or deletes the key.
// Fencing: the holder counts its lease valid for the ttl from the moment it *sent* its last
// successful renewal; when that time passes without another (Redis unreachable, the process stalled)
// it takes the lease as lost, even before Redis expires the key, and says so to its listeners.
// `confirm()` is the check before an act that must not happen twice (a post on Discord): the flag
// `held` is stale in a process resumed after a freeze whose timers have not run yet, so it asks Redis
// unless a renewal that got through was sent less than half the ttl ago (by the monotonic clock and
// the wall clock).
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { type Logger, silentLogger } from "../log/Logger.ts";
import { runScript, script } from "./queueScripts.ts";

const RENEW = script(
  "lease-renew",
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
);
const TAKE_OVER = script(
  "lease-take-over",
  `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end
return 0`,
);
const RELEASE = script(
  "lease-release",
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

/** Why a holder lost its lease: the key holds another token (or none), or no renewal got through in time. */
export type LeaseLostReason = "taken" | "unreachable";

export interface RedisLeaseOptions {
  readonly redis: Redis;
  /** The key, e.g. `troupe:<namespace>:discord:gateway`. */
  readonly key: string;
  readonly ttlMs: number;
  /** How often the holder renews (default a third of the ttl). */
  readonly renewEveryMs?: number;
  /**
   * How often a standby tries to take the lease in `waitUntilAcquired` (default renewEveryMs, at most
   * 1 s: a released lease is taken within a second, a dead holder's within the ttl and a second).
   */
  readonly pollEveryMs?: number;
  /** Who holds it: the start of the token stored in the key, so `GET key` names the holder. */
  readonly holder?: string;
  readonly logger?: Logger;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class RedisLease {
  readonly key: string;
  readonly ttlMs: number;
  readonly #redis: Redis;
  readonly #renewEveryMs: number;
  readonly #pollEveryMs: number;
  readonly #holder: string;
  readonly #logger: Logger;
  readonly #lostListeners = new Set<(reason: LeaseLostReason) => void>();
  /** The token of the current (or last) acquisition: fresh each time, so a stale one never counts. */
  #token = "";
  #held = false;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #fenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last acquisition or renewal that got through was sent: monotonic and wall clock. */
  #confirmedAt = { monotonic: Number.NEGATIVE_INFINITY, wall: Number.NEGATIVE_INFINITY };
  /** The renewal under way: a burst of `confirm()` calls shares one round trip. */
  #renewing: Promise<void> | undefined;
  /** Renewals that failed in a row (logged once per outage). */
  #failures = 0;

  constructor(options: RedisLeaseOptions) {
    this.#redis = options.redis;
    this.key = options.key;
    this.ttlMs = options.ttlMs;
    this.#renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(options.ttlMs / 3));
    this.#pollEveryMs = options.pollEveryMs ?? Math.min(this.#renewEveryMs, 1_000);
    this.#holder = options.holder ?? "lease";
    this.#logger = options.logger ?? silentLogger;
  }

  /** Whether this holder may act on the lease now. */
  get held(): boolean {
    return this.#held;
  }

  /** The token stored in the key while held, e.g. `host-a/6f1c…`. */
  get token(): string {
    return this.#token;
  }

  /** Who holds the lease now according to Redis (the holder's token), or undefined when nobody does. */
  async holder(): Promise<string | undefined> {
    return (await this.#redis.get(this.key)) ?? undefined;
  }

  /** Be told when the lease is lost (not when it is released); returns the unsubscribe. */
  onLost(listener: (reason: LeaseLostReason) => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /**
   * Whether this holder still holds the lease, as Redis says: before an act that must not happen
   * twice. True at once while the last acquisition or renewal that got through was sent less than
   * half the ttl ago — the key then keeps this token for at least half the ttl more, so the act has
   * that long to land before another holder can take over. Otherwise it renews now (the
   * compare-and-PEXPIRE script: the token still the holder's, the key's ttl full again; one round
   * trip shared by every caller meanwhile) and answers from that. False once the lease is lost: the
   * key holds another token or none (then lost for every listener too), or no renewal got through
   * for the whole ttl. While Redis does not answer it keeps trying, at most until then.
   */
  async confirm(): Promise<boolean> {
    while (this.#held) {
      if (this.#fresh()) return true;
      const failures = this.#failures;
      await this.#renew();
      if (this.#held && this.#failures > failures) await sleep(this.#pollEveryMs);
    }
    return false;
  }

  /**
   * The last confirmation is younger than half the ttl: on the monotonic clock, which runs on while
   * the process is stopped (SIGSTOP), and on the wall clock, which a paused VM's time sync moves on
   * when it resumes — whichever says more time passed.
   */
  #fresh(): boolean {
    const passed = Math.max(
      performance.now() - this.#confirmedAt.monotonic,
      Date.now() - this.#confirmedAt.wall,
    );
    return passed < this.ttlMs / 2;
  }

  /** Take the lease if nobody holds it; true when held. Throws when Redis does not answer. */
  async tryAcquire(): Promise<boolean> {
    if (this.#held) return true;
    const token = `${this.#holder}/${randomUUID()}`;
    const sent = this.#now();
    const answer = await this.#redis.set(this.key, token, "PX", this.ttlMs, "NX");
    if (answer !== "OK" || this.#held) return this.#held;
    this.#acquired(token, sent);
    return true;
  }

  /**
   * Take the lease from a holder known to be gone (a process of this machine that no longer runs),
   * only while the key still holds that holder's token `stale`; true when held.
   */
  async takeOver(stale: string): Promise<boolean> {
    if (this.#held) return true;
    const token = `${this.#holder}/${randomUUID()}`;
    const sent = this.#now();
    const answer = await runScript(this.#redis, TAKE_OVER, [this.key], [stale, token, this.ttlMs]);
    if (answer !== 1 || this.#held) return this.#held;
    this.#acquired(token, sent);
    return true;
  }

  #now() {
    return { monotonic: performance.now(), wall: Date.now() };
  }

  #acquired(token: string, sent: { monotonic: number; wall: number }) {
    this.#token = token;
    this.#held = true;
    this.#failures = 0;
    this.#fence(sent);
    this.#scheduleRenewal();
    this.#logger.log("info", "lease acquired", { key: this.key, holder: token, ttlMs: this.ttlMs });
  }

  /** Try every poll interval until the lease is held (true) or `signal` aborts (false). */
  async waitUntilAcquired(signal: AbortSignal): Promise<boolean> {
    let failing = false;
    while (!signal.aborted) {
      try {
        if (await this.tryAcquire()) return true;
        failing = false;
      } catch (error) {
        if (!failing)
          this.#logger.log("warn", "lease: cannot reach Redis; still trying", {
            key: this.key,
            error: message(error),
          });
        failing = true;
      }
      await sleep(this.#pollEveryMs, undefined, { signal }).catch(() => {}); // an abort ends the wait
    }
    return false;
  }

  /** Give the lease back at once, so another holder can take it without waiting for the ttl. */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#stop();
    await runScript(this.#redis, RELEASE, [this.key], [this.#token]).catch(() => 0);
    this.#logger.log("info", "lease released", { key: this.key, holder: this.#token });
  }

  #stop() {
    this.#held = false;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#fenceTimer);
  }

  /** The lease counts as held until `ttl` after `sent`, when the last renewal that got through was sent. */
  #fence(sent: { monotonic: number; wall: number }) {
    this.#confirmedAt = sent;
    clearTimeout(this.#fenceTimer);
    this.#fenceTimer = setTimeout(() => this.#lose("unreachable"), sent.wall + this.ttlMs - Date.now());
    this.#fenceTimer.unref();
  }

  #scheduleRenewal() {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = setTimeout(() => void this.#renew(), this.#renewEveryMs);
    this.#renewTimer.unref();
  }

  /** Renew now, or join the renewal under way; the next one is scheduled from its answer. */
  #renew(): Promise<void> {
    this.#renewing ??= this.#renewOnce().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #renewOnce() {
    const token = this.#token;
    const sent = this.#now();
    let renewed: unknown;
    try {
      renewed = await runScript(this.#redis, RENEW, [this.key], [token, this.ttlMs]);
    } catch (error) {
      if (this.#failures === 0)
        this.#logger.log("warn", "lease renewal failed; holding it until the ttl runs out", {
          key: this.key,
          error: message(error),
        });
      this.#failures += 1;
      if (this.#held && this.#token === token) this.#scheduleRenewal();
      return;
    }
    if (!this.#held || this.#token !== token) return;
    if (renewed === 1) {
      this.#failures = 0;
      this.#fence(sent);
      this.#scheduleRenewal();
    } else this.#lose("taken");
  }

  #lose(reason: LeaseLostReason) {
    if (!this.#held) return;
    const token = this.#token;
    this.#stop();
    this.#logger.log("warn", "lease lost", { key: this.key, holder: token, reason });
    // Once Redis answers again, take our key away if it is still there (a late renewal may have kept it).
    if (reason === "unreachable") void runScript(this.#redis, RELEASE, [this.key], [token]).catch(() => 0);
    for (const listener of [...this.#lostListeners]) listener(reason);
  }
}
