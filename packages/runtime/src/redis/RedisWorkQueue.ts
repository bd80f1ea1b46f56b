// The durable work queue on Redis Streams: how several `troupe` hosts on one Redis share the work
// and how a task outlives the process that leased it. It implements the WorkQueue port (and the
// IdempotencyStore for side effects) with one consumer group that every host reads as a consumer.
//
// Keys, all under `troupe:<namespace>:`
//   queue      stream of unfinished work, one entry `task <id> input <json>` per delivery round,
//              read by the consumer group `workers` (one consumer per process)
//   task:<id>  hash: input (HSETNX: enqueue is idempotent on the id) and entry (its current stream
//              entry), then from the first delivery status, fence, attempts, consumer, and at the end
//              output or error as JSON (a cancellation's reason is an error tagged Cancelled) and endedAt
//   open       sorted set of unfinished task ids by enqueue time (backlog size and age)
//   delayed    sorted set of retries by due time (Redis's clock)
//   ended      sorted set of finished and dead task ids by end time (their records go after retainMs)
//   dead       stream of dead letters: task, input, attempts, last error, at
//   idem:<key> idempotency keys of side effects (SET NX PX) — the only keys with an expiry
//
// A delivery increments the task's fence and attempts in the script that hands it out; finish,
// retry, bury and renew each run one Lua script that first checks `status == leased` and
// `fence == lease.fence`, so the outcome of a lease that was taken over is refused ("fenced").
// Leasing, in order: this consumer's own pending entries (first calls through a handle, so a restarted
// process finishes its own work), entries idle ≥ leaseMs (XAUTOCLAIM: takeover of a dead or paused
// holder; renew resets the idle time with XCLAIM), due retries moved back onto the stream, new
// entries. When nothing is ready, the call waits with XREAD BLOCK on a connection of its own (a
// blocked read cannot be interrupted on a shared one), waking for new entries, for the next due
// retry and every reclaim interval to look for expired leases; an aborted signal returns at once.
// Enqueues and finishes made in the same tick go to Redis as one script run.
//
// Trimming policy: an entry leaves the stream the moment its task finishes, is retried or is buried
// (XACK, then XTRIM MINID up to the oldest entry still pending — whole stream nodes at a time — or
// XDEL for one that finished out of order), so the stream holds only unfinished work and never needs
// MAXLEN trimming (which would silently drop unfinished tasks). Its size is bounded by backpressure
// instead: enqueue refuses with MailboxFull beyond `maxLength` unfinished tasks. Records of ended
// tasks are deleted `retainMs` after they ended; the dead-letter stream is capped near
// `maxDeadLetters` (oldest dropped first).
//
// NOGROUP (Redis flushed or restarted without persistence, or the stream deleted) is repaired on
// any command: the group is re-created, unfinished tasks whose entry is gone are queued again (their
// old holders are fenced) in batches of 500 open tasks per script run, so a repair with 100,000 open
// tasks never blocks Redis for more than a few milliseconds at a time, `queue.repaired` is published, and the command is retried once.
// A malformed entry (no task field, bad JSON, input not a TaskInput) is counted, logged, buried in
// the dead-letter stream with the reason, and skipped. An entry another producer XADDs with `task`
// and `input` fields gets its record when first delivered. Needs Redis ≥ 6.2 (XAUTOCLAIM),
// standalone or primary/replica — not Cluster (task keys are computed inside the scripts).
import { Result, Schema } from "effect";
import type {
  DeadLetter,
  FailureInfo,
  FinalOutcome,
  IdempotencyStore,
  Lease,
  LeaseOptions,
  QueueStats,
  Settlement,
  TaskRecord,
  TaskRecordStatus,
  WithdrawOutcome,
  WorkItem,
  WorkQueue,
} from "../durable/WorkQueue.ts";
import { TroupeError } from "../errors/TroupeError.ts";
import type { EventBus } from "../events/EventBus.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import { TaskInput } from "../task/Task.ts";
import {
  checkMaxTaskBytes,
  checkTaskBytes,
  checkTaskId,
  DEFAULT_MAX_TASK_BYTES,
} from "../task/taskLimits.ts";
import { wholeMillis } from "../time/wholeMillis.ts";
import { Redis } from "./ioredis.ts";
import {
  BURY,
  CREATE_GROUP,
  ENQUEUE,
  FINISH,
  type LuaScript,
  RENEW,
  REQUEUE_LOST,
  RETRY,
  runScript,
  STATS,
  TAKE,
  WITHDRAW,
} from "./queueScripts.ts";

export interface RedisWorkQueueOptions {
  /** An ioredis client (used, never quit by close()) or a URL (own client, quit by close()). */
  readonly redis: Redis | string;
  /** Separates teams sharing one Redis: keys are `troupe:<namespace>:…`. Letters, digits, `.`, `_`, `-`. */
  readonly namespace: string;
  /** Idle time after which another consumer may take a lease over (default 30 s). */
  readonly leaseMs?: number;
  /** Unfinished tasks beyond which enqueue refuses with MailboxFull (default 100,000). */
  readonly maxLength?: number;
  /** How long finished and dead task records are kept for `record()` and idempotent enqueue (default 7 days). */
  readonly retainMs?: number;
  /** About how many dead letters the dead-letter stream keeps (default 10,000). */
  readonly maxDeadLetters?: number;
  /**
   * The largest task input accepted, JSON-encoded (default 1 MiB): enqueue refuses a larger one with
   * InvalidTask, and an entry another program XADDs with a larger input is buried as a dead letter.
   */
  readonly maxTaskBytes?: number;
  /** When given, `queue.repaired` and the burial of malformed entries are published here. */
  readonly bus?: EventBus;
  readonly logger?: Logger;
}

export interface RedisQueueStats extends QueueStats {
  /** Malformed stream entries this handle found, buried and skipped. */
  readonly malformed: number;
  /** Consumer groups this handle re-created after NOGROUP. */
  readonly repairs: number;
  /** Script runs those repairs took (each looks at a bounded batch of open tasks). */
  readonly repairBatches: number;
}

/** The keys of one namespace, for operators and tests. */
export interface RedisQueueKeys {
  readonly prefix: string;
  readonly queue: string;
  readonly delayed: string;
  readonly open: string;
  readonly dead: string;
  readonly ended: string;
  readonly group: string;
}

const NAMESPACE = /^[A-Za-z0-9._-]+$/;
const GROUP = "workers";
const DEFAULTS = {
  leaseMs: 30_000,
  maxLength: 100_000,
  retainMs: 7 * 24 * 3_600_000,
  maxDeadLetters: 10_000,
};
const STATUSES: ReadonlySet<string> = new Set<TaskRecordStatus>([
  "queued",
  "leased",
  "delayed",
  "succeeded",
  "cancelled",
  "dead",
]);

const decodeTaskInput = Schema.decodeUnknownResult(TaskInput);
const isNoGroup = (error: unknown) => error instanceof Error && /\bNOGROUP\b/.test(error.message);

const positiveInteger = (value: number, field: string) => {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${field} must be a positive integer, got ${value}`);
  return value;
};

const parseJson = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

const toJson = (value: unknown, what: string): string => {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`${typeof value} is not JSON`);
    return text;
  } catch (error) {
    throw new TroupeError("InvalidTask", `${what} cannot be stored as JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
};

/** A TaskInput from JSON text, or the reason it is not one. */
const parseTaskInput = (text: string): { ok: true; input: TaskInput } | { ok: false; reason: string } => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `its input is not JSON (${(error as Error).message})` };
  }
  const decoded = decodeTaskInput(raw);
  return Result.isSuccess(decoded)
    ? { ok: true, input: decoded.success }
    : { ok: false, reason: `its input is not a valid task: ${decoded.failure.message}` };
};

const fieldsOf = (flat: readonly string[]): Record<string, string> => {
  const fields: Record<string, string> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) fields[flat[index]!] = flat[index + 1]!;
  return fields;
};

/**
 * Calls made in the same tick go to Redis as one script run: `add` queues an item and resolves with
 * its own result once the batch (at most `max` items) has run.
 */
const batcher = <I>(max: number, run: (items: readonly I[]) => Promise<readonly unknown[]>) => {
  let pending: { item: I; resolve: (result: number) => void; reject: (error: unknown) => void }[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    run(batch.map(({ item }) => item)).then(
      (results) => {
        for (const [index, { resolve }] of batch.entries()) resolve(Number(results[index]));
      },
      (error: unknown) => {
        for (const { reject } of batch) reject(error);
      },
    );
  };
  return (item: I): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (pending.length >= max) flush();
      else if (pending.length === 1) queueMicrotask(flush);
    });
};

/** Items per batched script run (Lua's unpack() takes a few thousand values at most). */
const MAX_BATCH = 256;
/** Open tasks a NOGROUP repair looks at per script run: a few milliseconds of Redis's time. */
const REPAIR_BATCH = 500;

type TakeReply = [
  meta: [
    lastId: string,
    nextDueMs: number,
    cursor: string,
    resumedTo: string,
    resumed: number,
    stale: number,
  ],
  /** Five values per delivered entry: "L", taskId, input, fence, attempt — or "M", entryId, taskId, reason, "". */
  deliveries: (string | number)[],
];

export class RedisWorkQueue implements WorkQueue, IdempotencyStore {
  readonly namespace: string;
  readonly keys: RedisQueueKeys;
  readonly leaseMs: number;
  readonly #redis: Redis;
  readonly #ownsClient: boolean;
  readonly #maxLength: number;
  readonly #retainMs: number;
  readonly #maxDead: number;
  readonly #maxTaskBytes: number;
  readonly #bus: EventBus | undefined;
  readonly #logger: Logger;
  /** How often a waiting lease call looks for expired leases. */
  readonly #reclaimEveryMs: number;
  /** Per consumer: where its own pending entries resume from; null once they have all been handed out. */
  readonly #resume = new Map<string, string | null>();
  #reclaimCursor = "0-0";
  #nextReclaimAt = 0;
  /** Connections for blocking reads: idle ones, and all of them (to close). */
  readonly #idleBlockers: Redis[] = [];
  readonly #blockers = new Set<Redis>();
  #repairing: Promise<void> | undefined;
  readonly #enqueueBatch: (item: readonly [id: string, input: string]) => Promise<number>;
  readonly #finishBatch: (
    item: readonly [id: string, fence: number, status: string, field: string, value: string],
  ) => Promise<number>;
  #malformed = 0;
  #repairs = 0;
  #repairBatches = 0;
  #closed = false;

  constructor(options: RedisWorkQueueOptions & { readonly client: Redis; readonly ownsClient: boolean }) {
    if (!NAMESPACE.test(options.namespace)) {
      throw new RangeError(
        `queue namespace must be letters, digits, ".", "_" or "-", got ${JSON.stringify(options.namespace)}`,
      );
    }
    this.namespace = options.namespace;
    const prefix = `troupe:${options.namespace}:`;
    this.keys = {
      prefix,
      queue: `${prefix}queue`,
      delayed: `${prefix}delayed`,
      open: `${prefix}open`,
      dead: `${prefix}dead`,
      ended: `${prefix}ended`,
      group: GROUP,
    };
    this.leaseMs = positiveInteger(options.leaseMs ?? DEFAULTS.leaseMs, "leaseMs");
    this.#maxLength = positiveInteger(options.maxLength ?? DEFAULTS.maxLength, "maxLength");
    this.#retainMs = positiveInteger(options.retainMs ?? DEFAULTS.retainMs, "retainMs");
    this.#maxDead = positiveInteger(options.maxDeadLetters ?? DEFAULTS.maxDeadLetters, "maxDeadLetters");
    this.#maxTaskBytes = checkMaxTaskBytes(options.maxTaskBytes ?? DEFAULT_MAX_TASK_BYTES);
    this.#redis = options.client;
    this.#ownsClient = options.ownsClient;
    this.#bus = options.bus;
    this.#logger = options.logger ?? silentLogger;
    this.#reclaimEveryMs = Math.min(1_000, Math.max(25, Math.floor(this.leaseMs / 4)));
    const taskPrefix = `${prefix}task:`;
    this.#enqueueBatch = batcher(
      MAX_BATCH,
      (items) =>
        runScript(
          this.#redis,
          ENQUEUE,
          [this.keys.open, this.keys.queue],
          [this.#maxLength, taskPrefix, ...items.flat()],
        ) as Promise<unknown[]>,
    );
    this.#finishBatch = batcher(
      MAX_BATCH,
      (items) =>
        this.#run(
          FINISH,
          [this.keys.queue, this.keys.open, this.keys.ended],
          [GROUP, this.#retainMs, taskPrefix, ...items.flat()],
        ) as Promise<unknown[]>,
    );
  }

  #taskKey(taskId: string): string {
    return `${this.keys.prefix}task:${taskId}`;
  }

  #open(): void {
    if (this.#closed) throw new TroupeError("ShuttingDown", `the work queue "${this.namespace}" is closed`);
  }

  /** Run a script; on NOGROUP repair the group and run it once more. */
  async #run(lua: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    this.#open();
    try {
      return await runScript(this.#redis, lua, keys, args);
    } catch (error) {
      if (!isNoGroup(error)) throw error;
      await this.repair(
        `NOGROUP on ${lua.name}: the consumer group "${GROUP}" was gone (Redis flushed or restarted without persistence?)`,
      );
      return runScript(this.#redis, lua, keys, args);
    }
  }

  /**
   * Make sure the consumer group exists; when it had to be re-created, queue again what lost its
   * entry and publish `queue.repaired`. Concurrent calls share one repair.
   */
  repair(reason: string, options: { quietIfFresh?: boolean } = {}): Promise<void> {
    this.#repairing ??= (async () => {
      try {
        const requeued = await this.#requeueLost();
        if (requeued < 0 || (options.quietIfFresh && requeued === 0)) return;
        this.#repairs += 1;
        const detail = `${reason}: re-created the consumer group; ${requeued} unfinished task(s) queued again`;
        this.#logger.log("warn", "work queue repaired", { namespace: this.namespace, requeued, reason });
        this.#bus?.publish({ type: "queue.repaired", queue: this.keys.queue, reason: detail });
      } finally {
        this.#repairing = undefined;
      }
    })();
    return this.#repairing;
  }

  /**
   * Re-create the consumer group; when it had to be, queue again what lost its entry, a bounded
   * batch per script run. -1 when the group existed, else how many tasks were queued again.
   */
  async #requeueLost(): Promise<number> {
    if (Number(await runScript(this.#redis, CREATE_GROUP, [this.keys.queue], [GROUP])) < 0) return -1;
    let requeued = 0;
    let from: [score: string, offset: number] = ["-inf", 0];
    while (true) {
      const [count, score, offset, over] = (await runScript(
        this.#redis,
        REQUEUE_LOST,
        [this.keys.queue, this.keys.open, this.keys.delayed],
        [`${this.keys.prefix}task:`, ...from, REPAIR_BATCH],
      )) as [number, string, number, number];
      requeued += Number(count);
      this.#repairBatches += 1;
      if (Number(over) === 1) return requeued;
      from = [String(score), Number(offset)];
    }
  }

  async enqueue(item: WorkItem): Promise<void> {
    checkTaskId(item?.id);
    const decoded = decodeTaskInput(item.input);
    if (Result.isFailure(decoded)) {
      throw new TroupeError("InvalidTask", `invalid task ${item.id}: ${decoded.failure.message}`, {
        data: { input: item.input },
      });
    }
    const input = toJson(item.input, `the input of task ${item.id}`);
    checkTaskBytes(Buffer.byteLength(input, "utf8"), this.#maxTaskBytes);
    this.#open();
    const result = await this.#enqueueBatch([item.id, input]);
    if (result === -1) {
      throw new TroupeError(
        "MailboxFull",
        `the work queue "${this.namespace}" holds ${this.#maxLength} unfinished tasks (maxLength); task ${item.id} was refused`,
        { data: { taskId: item.id, maxLength: this.#maxLength } },
      );
    }
  }

  async lease(consumer: string, options: LeaseOptions): Promise<Lease[]> {
    if (typeof consumer !== "string" || consumer === "")
      throw new TroupeError("InvalidCommand", "lease needs a non-empty consumer name");
    const max = Math.floor(options.max);
    if (!(max >= 1)) return [];
    const deadline = Date.now() + Math.max(0, options.waitMs);
    while (true) {
      if (options.signal?.aborted) return [];
      const { leases, progressed, lastId, nextDueMs } = await this.#take(consumer, max);
      if (leases.length > 0) return leases;
      if (progressed) continue; // only malformed or stale entries came: look again at once
      const left = deadline - Date.now();
      if (left <= 0 || options.signal?.aborted) return [];
      const wait = Math.min(left, this.#reclaimEveryMs, nextDueMs < 0 ? Number.POSITIVE_INFINITY : nextDueMs);
      await this.#waitForEntries(lastId, wait, options.signal);
      if (this.#closed) return [];
    }
  }

  async #take(consumer: string, max: number) {
    const resumeFrom = this.#resume.has(consumer) ? this.#resume.get(consumer) : "0";
    const now = Date.now();
    const reclaim = this.#reclaimCursor !== "0-0" || now >= this.#nextReclaimAt;
    if (reclaim) this.#nextReclaimAt = now + this.#reclaimEveryMs;
    const reply = (await this.#run(
      TAKE,
      [this.keys.queue, this.keys.delayed, this.keys.open, this.keys.dead],
      [
        GROUP,
        consumer,
        max,
        resumeFrom ?? "",
        reclaim ? this.#reclaimCursor : "",
        this.leaseMs,
        `${this.keys.prefix}task:`,
        this.#maxDead,
        this.#maxTaskBytes,
      ],
    )) as TakeReply;
    const [[lastId, nextDueMs, cursor, resumedTo, resumed, stale], deliveries] = reply;
    if (resumeFrom !== null) this.#resume.set(consumer, Number(resumed) < max ? null : resumedTo);
    if (reclaim && cursor !== "") this.#reclaimCursor = cursor;
    const leases: Lease[] = [];
    for (let index = 0; index + 4 < deliveries.length; index += 5) {
      if (deliveries[index] === "M") {
        const [entryId, taskId, reason] = deliveries.slice(index + 1, index + 4).map(String) as [
          string,
          string,
          string,
        ];
        this.#foundMalformed(taskId, reason, { entryId });
        continue;
      }
      const taskId = String(deliveries[index + 1]);
      const lease = { taskId, fence: Number(deliveries[index + 3]), attempt: Number(deliveries[index + 4]) };
      const parsed = parseTaskInput(String(deliveries[index + 2]));
      if (parsed.ok) {
        leases.push({ ...lease, input: parsed.input });
        continue;
      }
      const reason = `malformed stream entry for task ${taskId}: ${parsed.reason}`;
      const buried = await this.bury({ ...lease, input: {} }, { tag: "InvalidTask", reason });
      if (buried === "accepted") this.#foundMalformed(taskId, reason, { attempt: lease.attempt });
    }
    return {
      leases,
      progressed: deliveries.length > leases.length * 5 || Number(stale) > 0,
      lastId,
      nextDueMs: Number(nextDueMs),
    };
  }

  #foundMalformed(taskId: string, reason: string, fields: Record<string, unknown>): void {
    this.#malformed += 1;
    this.#logger.log("warn", "malformed work queue entry buried in the dead-letter stream", {
      namespace: this.namespace,
      taskId,
      reason,
      ...fields,
    });
    this.#bus?.publish({
      type: "task.dead_lettered",
      taskId,
      attempts: typeof fields.attempt === "number" ? fields.attempt : 1,
      error: { tag: "InvalidTask", reason },
    });
  }

  /** Wait up to `ms` for an entry newer than `afterId`, on a connection of its own. */
  async #waitForEntries(afterId: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    const connection = this.#idleBlockers.pop() ?? this.#newBlocker();
    const blockMs = Math.max(1, Math.ceil(ms));
    const startedAt = Date.now();
    const read = connection.xread("BLOCK", blockMs, "STREAMS", this.keys.queue, afterId).then(
      () => true,
      (error: unknown) => {
        if (!this.#closed) this.#logger.log("debug", "blocking read failed", { error });
        return false;
      },
    );
    void read.then(() => {
      if (this.#closed) connection.disconnect();
      else this.#idleBlockers.push(connection);
    });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<boolean>((resolve) => {
      onAbort = () => resolve(true);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const ok = await Promise.race([read, aborted]);
      // A read that failed at once (Redis unreachable) must not turn the wait into a busy loop.
      const spent = Date.now() - startedAt;
      if (!ok && !signal?.aborted && spent < blockMs)
        await new Promise((resolve) => setTimeout(resolve, Math.min(blockMs - spent, 100)));
    } finally {
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  #newBlocker(): Redis {
    const connection = this.#redis.duplicate({
      connectionName: `troupe-queue-wait:${this.namespace}`,
      // A safety net: a blocked read on a dead connection gives up after its BLOCK time + grace.
      blockingTimeout: 60_000,
    });
    connection.on("error", (error: Error) =>
      this.#logger.log("debug", "work queue wait connection error", { error: error.message }),
    );
    this.#blockers.add(connection);
    return connection;
  }

  async renew(lease: Lease, consumer: string): Promise<boolean> {
    const result = await this.#run(
      RENEW,
      [this.#taskKey(lease.taskId), this.keys.queue],
      [lease.fence, consumer, GROUP],
    );
    return Number(result) === 1;
  }

  async finish(lease: Lease, outcome: FinalOutcome): Promise<Settlement> {
    const [field, value] =
      outcome.status === "succeeded"
        ? outcome.output === undefined
          ? ["", ""]
          : ["output", toJson(outcome.output, `the output of task ${lease.taskId}`)]
        : ["error", JSON.stringify({ tag: "Cancelled", reason: outcome.reason })];
    this.#open();
    const result = await this.#finishBatch([lease.taskId, lease.fence, outcome.status, field, value]);
    return result === 1 ? "accepted" : "fenced";
  }

  async retry(lease: Lease, error: FailureInfo, delayMs: number): Promise<Settlement> {
    const result = await this.#run(
      RETRY,
      [this.#taskKey(lease.taskId), this.keys.queue, this.keys.delayed],
      [lease.fence, JSON.stringify(error), wholeMillis(delayMs, "delayMs"), GROUP, lease.taskId],
    );
    return Number(result) === 1 ? "accepted" : "fenced";
  }

  async bury(lease: Lease, error: FailureInfo): Promise<Settlement> {
    const result = await this.#run(
      BURY,
      [this.#taskKey(lease.taskId), this.keys.queue, this.keys.open, this.keys.dead, this.keys.ended],
      [
        lease.fence,
        JSON.stringify(error),
        GROUP,
        lease.taskId,
        this.#retainMs,
        this.#maxDead,
        `${this.keys.prefix}task:`,
      ],
    );
    return Number(result) === 1 ? "accepted" : "fenced";
  }

  async withdraw(taskId: string, reason: string): Promise<WithdrawOutcome> {
    return (await this.#run(
      WITHDRAW,
      [this.#taskKey(taskId), this.keys.queue, this.keys.open, this.keys.delayed, this.keys.ended],
      [JSON.stringify({ tag: "Cancelled", reason }), taskId, this.#retainMs, `${this.keys.prefix}task:`],
    )) as WithdrawOutcome;
  }

  async deadLetters(limit = 100): Promise<readonly DeadLetter[]> {
    this.#open();
    const entries = (await this.#redis.xrevrange(
      this.keys.dead,
      "+",
      "-",
      "COUNT",
      Math.max(1, Math.floor(limit)),
    )) as [string, string[]][];
    return entries.reverse().map(([, flat]) => {
      const fields = fieldsOf(flat);
      const parsed = parseTaskInput(fields.input ?? "null");
      const error = parseJson(fields.error) as Partial<FailureInfo> | undefined;
      return {
        taskId: fields.task ?? "",
        // A malformed entry keeps its raw text for inspection.
        input: parsed.ok ? parsed.input : { input: fields.input },
        attempts: Number(fields.attempts ?? 0),
        error: { tag: String(error?.tag ?? "Unknown"), reason: String(error?.reason ?? fields.error ?? "") },
        at: Number(fields.at ?? 0),
      };
    });
  }

  async record(taskId: string): Promise<TaskRecord | undefined> {
    this.#open();
    const fields = await this.#redis.hgetall(this.#taskKey(taskId));
    // A record is created with its input alone; it has no status until its first delivery.
    const status = fields.input === undefined ? undefined : (fields.status ?? "queued");
    if (status === undefined || !STATUSES.has(status)) return undefined;
    const output = parseJson(fields.output);
    const error = parseJson(fields.error) as FailureInfo | undefined;
    return {
      taskId,
      status: status as TaskRecordStatus,
      attempts: Number(fields.attempts ?? 0),
      ...(fields.output === undefined ? {} : { output }),
      ...(error === undefined ? {} : { error }),
    };
  }

  async stats(): Promise<RedisQueueStats> {
    const [length, pending, delayed, dead, oldest, now] = (
      (await this.#run(
        STATS,
        [this.keys.queue, this.keys.delayed, this.keys.dead, this.keys.open],
        [GROUP],
      )) as number[]
    ).map(Number) as [number, number, number, number, number, number];
    return {
      ready: Math.max(0, length - pending),
      leased: pending,
      delayed,
      dead,
      oldestAgeMs: oldest < 0 ? undefined : Math.max(0, now - oldest),
      malformed: this.#malformed,
      repairs: this.#repairs,
      repairBatches: this.#repairBatches,
    };
  }

  /** The first claim of `key` wins until `ttlMs` passes (SET NX PX): a reclaimed task's side effect runs once. */
  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    this.#open();
    const answer = await this.#redis.set(
      `${this.keys.prefix}idem:${key}`,
      "1",
      "PX",
      Math.max(1, wholeMillis(ttlMs, "ttlMs")),
      "NX",
    );
    return answer === "OK";
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const connection of this.#blockers) connection.disconnect();
    this.#blockers.clear();
    this.#idleBlockers.length = 0;
    if (this.#ownsClient) await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

/**
 * Open the work queue of a namespace: connects (when given a URL), makes sure the consumer group
 * exists (repairing it if Redis lost it), and returns the queue.
 */
export const createRedisWorkQueue = async (options: RedisWorkQueueOptions): Promise<RedisWorkQueue> => {
  if (typeof options.redis !== "string" && options.redis.options.keyPrefix) {
    throw new RangeError(
      `the work queue needs an ioredis client without keyPrefix (got "${options.redis.options.keyPrefix}"): its scripts name keys themselves; separate teams with \`namespace\` instead`,
    );
  }
  const ownsClient = typeof options.redis === "string";
  const client =
    typeof options.redis === "string"
      ? new Redis(options.redis, { connectionName: `troupe-queue:${options.namespace}` })
      : options.redis;
  if (ownsClient) {
    const logger = options.logger ?? silentLogger;
    client.on("error", (error: Error) =>
      logger.log("warn", "work queue connection error", {
        namespace: options.namespace,
        error: error.message,
      }),
    );
  }
  try {
    await refuseRedisCluster(client);
    const queue = new RedisWorkQueue({ ...options, client, ownsClient });
    // A fresh namespace gets its group quietly; a group lost while tasks were open is a repair.
    await queue.repair("the consumer group was missing when the queue opened", { quietIfFresh: true });
    return queue;
  } catch (error) {
    if (ownsClient) client.disconnect();
    throw error;
  }
};

/**
 * A warning sentence when Redis's maxmemory-policy could evict the queue's keys (anything but
 * `noeviction`: the allkeys-* policies may evict tasks and leases, the volatile-* ones the
 * idempotency keys, which carry an expiry); undefined when the policy is safe or CONFIG is not
 * allowed (managed Redis often refuses it).
 */
/**
 * Throws InvalidCommand when `redis` is a Redis Cluster node (INFO cluster says cluster_enabled:1):
 * the queue's scripts name the keys of many tasks at once, which a cluster refuses with CROSSSLOT.
 * A Redis that does not allow INFO is taken as standalone.
 */
export const refuseRedisCluster = async (redis: Redis): Promise<void> => {
  let info: string;
  try {
    info = await redis.info("cluster");
  } catch {
    return;
  }
  if (/^cluster_enabled:1\b/m.test(info))
    throw new TroupeError(
      "InvalidCommand",
      "this Redis is a Redis Cluster node, which Troupe does not support: point it at a standalone Redis (or the primary of a primary/replica set, Redis Sentinel's current primary included), version 6.2 or later",
    );
};

export const maxmemoryPolicyWarning = async (redis: Redis): Promise<string | undefined> => {
  let reply: unknown;
  try {
    reply = await redis.config("GET", "maxmemory-policy");
  } catch {
    return undefined;
  }
  const flat = Array.isArray(reply)
    ? (reply as unknown[])
    : reply && typeof reply === "object"
      ? Object.entries(reply).flat()
      : [];
  const policy = flat[1];
  if (typeof policy !== "string" || policy === "noeviction") return undefined;
  const what = policy.startsWith("volatile")
    ? "the idempotency keys of side effects, which carry an expiry, may be evicted early (a reclaimed task's side effect could run twice)"
    : "tasks, leases, idempotency keys and dead letters may be evicted (work lost or run twice without a trace)";
  return `Redis's maxmemory-policy is "${policy}": once Redis reaches maxmemory, ${what}. Set maxmemory-policy to noeviction for the work queue (CONFIG SET maxmemory-policy noeviction, or in redis.conf).`;
};
