// Where the host keeps its work. Without REDIS_URL: the embedded SQLite file in the data folder (one
// box, survives restarts; also the snapshot store). With REDIS_URL: one ioredis connection shared by
// the Redis Streams work queue, the maxmemory-policy check and the event mirror, so several hosts on
// one Redis share the work and watch each other's events. node:sqlite and ioredis are loaded only
// for the store in use. The Redis URL may hold a password: only its redacted form is ever logged.
// Before the queue opens, the host claims its consumer name on the store (a file lock on SQLite, a
// liveness lease on Redis): a second host that would share the name with a live one is refused.
// Each store says how it is (health): SQLite answers a read, Redis is connected and answers PING. On
// Redis, when the drain timeout of a stop runs out while Redis is unreachable, the host gives up on
// it (disconnects: everything still waiting on Redis fails at once) so the stop ends on time; the
// outcomes it could not record stay leased and run again at the next start.
import {
  type ConsumerName,
  type EventBus,
  isTroupeError,
  type Logger,
  type SnapshotStore,
  TroupeError,
  type WorkQueue,
} from "@troupe/runtime";
import type { Redis } from "ioredis";
import type { HostConfig } from "../config/hostConfig.ts";
import type { HealthCheck } from "../health/HealthChecks.ts";
import type { DrainClock } from "./drainClock.ts";

export interface HostStore {
  readonly kind: "sqlite" | "redis";
  readonly queue: WorkQueue;
  /** Saved runs of machine-form agents and fan-out joins, next to the queue. */
  readonly snapshots: SnapshotStore | undefined;
  /** The Redis connection, for the event mirror; undefined for the embedded store. */
  readonly redis: Redis | undefined;
  /** What /status and the logs call it, e.g. `SQLite /srv/.troupe/default.sqlite`. */
  readonly label: string;
  /** This host's consumer name, held on the store while it runs. */
  readonly consumerName: ConsumerName;
  /** Whether the store answers: down while Redis is unreachable or the SQLite file cannot be read. */
  readonly health: HealthCheck;
  close(): Promise<void>;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A consumer name another live host holds: say what to do about it. */
const sharedName = (error: unknown): unknown =>
  isTroupeError(error, "ConsumerNameInUse")
    ? new TroupeError(
        "ConsumerNameInUse",
        `${error.reason}. Two hosts with one name would take each other's running tasks over: stop that one first, or give this one its own name with TROUPE_CONSUMER (or --consumer).`,
        { data: { ...error.data } },
      )
    : error;

export const openEmbeddedStore = async (config: HostConfig, logger: Logger): Promise<HostStore> => {
  if (config.store.kind !== "sqlite") throw new Error("openEmbeddedStore needs the sqlite store");
  const { path } = config.store;
  const { claimSqliteConsumerName, openSqliteSnapshotStore, openSqliteWorkQueue } = await import(
    "@troupe/runtime/sqlite"
  );
  let consumerName: ConsumerName;
  try {
    consumerName = claimSqliteConsumerName({ path, consumer: config.consumer });
  } catch (error) {
    throw sharedName(error);
  }
  const queue = openSqliteWorkQueue({
    path,
    leaseMs: config.leaseMs,
    maxTaskBytes: config.maxTaskBytes,
    logger,
  });
  const snapshots = openSqliteSnapshotStore({ path, logger });
  logger.log("info", "work queue: embedded SQLite", { store: "sqlite", path, consumer: config.consumer });
  return {
    kind: "sqlite",
    queue,
    snapshots,
    redis: undefined,
    label: `SQLite ${path}`,
    consumerName,
    async health() {
      await queue.stats();
      return { status: "up", details: { kind: "sqlite", path } };
    },
    async close() {
      await snapshots.close();
      await queue.close();
      await consumerName.release();
    },
  };
};

export const openRedisStore = async (
  config: HostConfig,
  logger: Logger,
  bus: EventBus,
  drain: DrainClock,
): Promise<HostStore> => {
  if (config.store.kind !== "redis") throw new Error("openRedisStore needs the redis store");
  const { url, redactedUrl } = config.store;
  const { Redis } = await import("ioredis");
  const {
    claimRedisConsumerName,
    createRedisWorkQueue,
    maxmemoryPolicyWarning,
    RedisSnapshotStore,
    refuseRedisCluster,
  } = await import("@troupe/runtime/redis");
  // Set once the host gives up on an unreachable Redis (a stop past its drain timeout): every
  // connection (the queue's and the mirror's are copies of this one) then stops reconnecting, and
  // what waits on it fails at once instead of at the next successful reconnect.
  let givingUp = false;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectionName: `troupe-host:${config.namespace}`,
    // ioredis's default, capped at a second so a stop gives up within a second of deciding to.
    retryStrategy: (attempt) => (givingUp ? null : Math.min(attempt * 50, 1_000)),
  });
  /** Stop reconnecting. A connection waiting to reconnect ends at its next try (within a second). */
  const giveUp = () => {
    givingUp = true;
    // disconnect() on a connection waiting to reconnect would cancel that try and leave its
    // commands waiting for ever.
    if (redis.status !== "reconnecting") redis.disconnect();
  };
  // ioredis reports every failed reconnect; say it once per outage.
  let lastError: string | undefined;
  redis.on("error", (error: Error) => {
    if (lastError === undefined)
      logger.log("warn", "redis connection error; reconnecting", { url: redactedUrl, error: error.message });
    lastError = error.message;
  });
  redis.on("ready", () => {
    lastError = undefined;
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot connect to Redis at ${redactedUrl}: ${lastError ?? message(error)}`, {
      cause: error,
    });
  }
  try {
    await refuseRedisCluster(redis);
  } catch (error) {
    redis.disconnect();
    // Like an unreachable Redis: one line on stderr and exit 1, no usage hint.
    throw isTroupeError(error)
      ? new Error(`REDIS_URL (${redactedUrl}): ${error.reason}`, { cause: error })
      : error;
  }
  let consumerName: ConsumerName;
  try {
    consumerName = await claimRedisConsumerName({
      redis,
      namespace: config.namespace,
      consumer: config.consumer,
      logger,
    });
  } catch (error) {
    redis.disconnect();
    throw sharedName(error);
  }
  try {
    const warning = await maxmemoryPolicyWarning(redis);
    if (warning) logger.log("warn", warning, { url: redactedUrl });
    const queue = await createRedisWorkQueue({
      redis,
      namespace: config.namespace,
      leaseMs: config.leaseMs,
      maxTaskBytes: config.maxTaskBytes,
      bus,
      logger,
    });
    const giveUpWhenUnreachable = () => {
      if (redis.status === "ready") return;
      logger.log(
        "warn",
        "the drain timeout ran out while Redis is unreachable: giving up on it; outcomes not recorded stay leased and run again at the next start",
        { url: redactedUrl, error: lastError ?? null },
      );
      drain.leftWork("Redis unreachable when the drain timeout ran out");
      giveUp();
    };
    drain.expired.addEventListener("abort", giveUpWhenUnreachable, { once: true });
    logger.log("info", "work queue: Redis Streams", {
      store: "redis",
      url: redactedUrl,
      namespace: config.namespace,
      consumer: config.consumer,
    });
    return {
      kind: "redis",
      queue,
      snapshots: new RedisSnapshotStore({ redis, namespace: config.namespace }),
      redis,
      label: `Redis ${redactedUrl}, namespace ${config.namespace}`,
      consumerName,
      async health() {
        const details = { kind: "redis", url: redactedUrl, namespace: config.namespace };
        if (redis.status !== "ready")
          return {
            status: "down",
            reason: `Redis at ${redactedUrl} is unreachable (${lastError ?? redis.status})`,
            details,
          };
        await redis.ping();
        return { status: "up", details };
      },
      async close() {
        drain.expired.removeEventListener("abort", giveUpWhenUnreachable);
        await queue.close();
        await consumerName.release();
        if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
        else giveUp();
      },
    };
  } catch (error) {
    await consumerName.release();
    redis.disconnect();
    throw error;
  }
};
