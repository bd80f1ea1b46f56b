// queue-throughput: tasks a second through the Redis work queue — enqueue → lease → run a no-op →
// finish, one producer and one consumer per core (2), each on its own connection — compared with raw
// ioredis doing the bare Redis Streams round trip on the same Redis in the same shape: pipelined XADD,
// XREADGROUP of a batch, pipelined XACK. The queue does more per task (a task record, fencing, an
// idempotent enqueue, input validation, XDEL of finished entries): this is the price of that.
import { randomUUID } from "node:crypto";
import { createRedisWorkQueue, deleteNamespace, type RedisWorkQueue } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { type Figure, figure, median, progress, timeMs } from "./measure.ts";

export const REDIS_URL = "redis://127.0.0.1:6379";
const TASKS_PER_ROUND = 10_000;
const ROUNDS = 7;
const WARM_UP_ROUNDS = 2;
const CONSUMERS = 2;
/** Tasks per lease (XREADGROUP COUNT) and enqueues in flight at once (XADDs per pipeline). */
const BATCH = 50;
const WAIT_MS = 20;

const inputOf = (index: number) => ({ text: `task ${index}`, agent: "noop" });
const noop = (_input: unknown) => undefined;

/** Resolves when `count()` reaches `target`; the consumers call `check` after each batch. */
const finishLine = (target: number, count: () => number) => {
  let reached: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    reached = resolve;
  });
  return { done, check: () => count() >= target && reached() };
};

/** The baseline: the same Redis Streams round trip with raw ioredis. */
const rawRound = async (producer: Redis, consumers: readonly Redis[]) => {
  const stream = `troupe:bench-raw-${randomUUID()}:queue`;
  await producer.xgroup("CREATE", stream, "workers", "$", "MKSTREAM");
  let processed = 0;
  const line = finishLine(TASKS_PER_ROUND, () => processed);
  const produce = async () => {
    for (let start = 0; start < TASKS_PER_ROUND; start += BATCH) {
      const pipeline = producer.pipeline();
      for (let index = start; index < start + BATCH; index += 1)
        pipeline.xadd(stream, "*", "task", `t-${index}`, "input", JSON.stringify(inputOf(index)));
      await pipeline.exec();
    }
  };
  const consume = async (redis: Redis, name: string) => {
    while (processed < TASKS_PER_ROUND) {
      const reply = (await redis.xreadgroup(
        "GROUP",
        "workers",
        name,
        "COUNT",
        BATCH,
        "BLOCK",
        WAIT_MS,
        "STREAMS",
        stream,
        ">",
      )) as [string, [string, string[]][]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      const pipeline = redis.pipeline();
      for (const [id, fields] of entries) {
        noop(fields);
        pipeline.xack(stream, "workers", id);
      }
      await pipeline.exec();
      processed += entries.length;
      line.check();
    }
  };
  const consumers$ = consumers.map((redis, index) => consume(redis, `c${index}`));
  const ms = await timeMs(() => Promise.all([produce(), line.done]));
  await Promise.all(consumers$);
  await producer.del(stream);
  return TASKS_PER_ROUND / (ms / 1_000);
};

/** Troupe: the same shape through RedisWorkQueue handles (one per "host", each its own connection). */
export const queueRound = async (admin: Redis) => {
  const namespace = `bench-${randomUUID()}`;
  const open = () => createRedisWorkQueue({ redis: REDIS_URL, namespace, leaseMs: 30_000 });
  const producer = await open();
  const consumers: RedisWorkQueue[] = [];
  for (let index = 0; index < CONSUMERS; index += 1) consumers.push(await open());
  let processed = 0;
  const line = finishLine(TASKS_PER_ROUND, () => processed);
  const produce = async () => {
    for (let start = 0; start < TASKS_PER_ROUND; start += BATCH) {
      const chunk: Promise<void>[] = [];
      for (let index = start; index < start + BATCH; index += 1)
        chunk.push(producer.enqueue({ id: `t-${index}`, input: inputOf(index) }));
      await Promise.all(chunk);
    }
  };
  const consume = async (queue: RedisWorkQueue, name: string) => {
    while (processed < TASKS_PER_ROUND) {
      const leases = await queue.lease(name, { max: BATCH, waitMs: WAIT_MS });
      await Promise.all(
        leases.map((lease) => {
          noop(lease.input);
          return queue.finish(lease, { status: "succeeded", output: null });
        }),
      );
      processed += leases.length;
      line.check();
    }
  };
  const consumers$ = consumers.map((queue, index) => consume(queue, `c${index}`));
  const ms = await timeMs(() => Promise.all([produce(), line.done]));
  await Promise.all(consumers$);
  await Promise.all([producer, ...consumers].map((queue) => queue.close()));
  await deleteNamespace(admin, namespace);
  return TASKS_PER_ROUND / (ms / 1_000);
};

export const queueThroughput = async (): Promise<Figure> => {
  const admin = new Redis(REDIS_URL);
  const producer = new Redis(REDIS_URL);
  const consumers = Array.from({ length: CONSUMERS }, () => new Redis(REDIS_URL));
  try {
    // Warm-up: connections, the JIT, Redis's script cache.
    for (let round = 0; round < WARM_UP_ROUNDS; round += 1) {
      await rawRound(producer, consumers);
      await queueRound(admin);
    }
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const raw = await rawRound(producer, consumers);
      const queue = await queueRound(admin);
      ratios.push(queue / raw);
      progress(
        `queue-throughput round ${round}/${ROUNDS}: raw ${Math.round(raw)}/s, queue ${Math.round(queue)}/s`,
      );
    }
    return figure("queue-throughput", median(ratios), { atLeast: 0.5 });
  } finally {
    await Promise.all([admin, producer, ...consumers].map((redis) => redis.quit()));
  }
};
