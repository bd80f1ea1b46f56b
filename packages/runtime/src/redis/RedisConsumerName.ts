// The Redis ConsumerName: a liveness lease per consumer name (`troupe:<namespace>:consumer:<name>`),
// renewed by its holder (RedisLease), holding the holder's pid, machine and start. A claim of a held
// name waits up to the lease's ttl for it to lapse (a crashed holder stops renewing) and then fails
// with ConsumerNameInUse; a holder that is a gone process of this same machine (a restart after a
// crash) is taken over at once. When Redis is out of reach for a whole ttl the name counts as lost
// and is taken back as soon as Redis answers and nobody else holds it.
import type { Redis } from "ioredis";
import {
  type ConsumerName,
  type ConsumerNameHolder,
  consumerNameInUse,
  isGoneFromThisMachine,
  thisProcess,
} from "../durable/ConsumerName.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import { RedisLease } from "./RedisLease.ts";

export interface RedisConsumerNameOptions {
  readonly redis: Redis;
  readonly namespace: string;
  readonly consumer: string;
  /** How long the name outlives a holder that stopped renewing it (default 10 s; renewed every third). */
  readonly ttlMs?: number;
  readonly logger?: Logger;
  /** Gives up waiting for a held name. */
  readonly signal?: AbortSignal;
}

export const DEFAULT_CONSUMER_NAME_TTL_MS = 10_000;

/** Names this process holds now: a holder with our own pid is a gone process only when not among them. */
const heldHere = new Set<string>();

const holderIn = (token: string | undefined): ConsumerNameHolder | undefined => {
  if (!token) return undefined;
  try {
    const holder = JSON.parse(token.slice(0, token.lastIndexOf("/"))) as ConsumerNameHolder;
    return typeof holder.pid === "number" && typeof holder.host === "string" ? holder : undefined;
  } catch {
    return undefined;
  }
};

/** Hold `consumer` in the namespace while this process runs; throws ConsumerNameInUse when a live process holds it. */
export const claimRedisConsumerName = async (options: RedisConsumerNameOptions): Promise<ConsumerName> => {
  const logger = options.logger ?? silentLogger;
  const key = `troupe:${options.namespace}:consumer:${options.consumer}`;
  const where = `Redis namespace "${options.namespace}"`;
  const ttlMs = options.ttlMs ?? DEFAULT_CONSUMER_NAME_TTL_MS;
  const lease = new RedisLease({
    redis: options.redis,
    key,
    ttlMs,
    holder: JSON.stringify(thisProcess()),
    logger,
  });
  let acquired = await lease.tryAcquire();
  if (!acquired) {
    const token = await lease.holder();
    const holder = holderIn(token);
    if (token && holder && !heldHere.has(key) && isGoneFromThisMachine(holder)) {
      logger.log("info", "consumer name: its previous holder on this machine is gone; taking it over", {
        consumer: options.consumer,
        pid: holder.pid,
      });
      acquired = await lease.takeOver(token);
    }
  }
  if (!acquired) {
    logger.log("warn", "consumer name held by another process; waiting for its lease to lapse", {
      consumer: options.consumer,
      holder: holderIn(await lease.holder()) ?? null,
      waitMs: ttlMs,
    });
    // A live holder renews every third of the ttl: its name never lapses within a ttl and a poll.
    const deadline = AbortSignal.timeout(ttlMs + Math.min(1_000, ttlMs / 3) + 100);
    acquired = await lease.waitUntilAcquired(
      options.signal ? AbortSignal.any([options.signal, deadline]) : deadline,
    );
  }
  if (!acquired) throw consumerNameInUse(options.consumer, where, holderIn(await lease.holder()));
  heldHere.add(key);

  const stopping = new AbortController();
  const listeners = new Set<(reason: string) => void>();
  lease.onLost((reason) => {
    const why =
      reason === "taken"
        ? "another process took the consumer name over"
        : `Redis could not be reached for ${ttlMs} ms`;
    // Taken: another process runs under this name now. Unreachable: said by the store's health too.
    logger.log(reason === "taken" ? "error" : "warn", "consumer name lost", {
      consumer: options.consumer,
      reason: why,
    });
    for (const listener of [...listeners]) listener(why);
    // Take it back as soon as it is free again (at once after an outage nobody else used).
    void lease.waitUntilAcquired(stopping.signal).then((again) => {
      if (again) logger.log("info", "consumer name held again", { consumer: options.consumer });
    });
  });
  return {
    consumer: options.consumer,
    get held() {
      return lease.held;
    },
    onLost(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async release() {
      if (stopping.signal.aborted) return;
      stopping.abort();
      heldHere.delete(key);
      await lease.release();
    },
  };
};
