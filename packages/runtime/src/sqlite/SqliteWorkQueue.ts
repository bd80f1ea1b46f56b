// The embedded WorkQueue: tasks, leases, dead letters and idempotency keys in one node:sqlite file,
// so a host on one box keeps its work across a crash with nothing to set up. Every state change is
// one IMMEDIATE transaction (a write lock taken up front), the file is in WAL mode with a busy
// timeout, so several handles — in one process or in several on the same file — never deliver a
// task twice. The semantics are the WorkQueue contract's (see durable/workQueue.contract.ts).
import { resolve } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
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
import { type Logger, silentLogger } from "../log/Logger.ts";
import type { TaskInput } from "../task/Task.ts";
import {
  checkMaxTaskBytes,
  checkTaskBytes,
  checkTaskId,
  DEFAULT_MAX_TASK_BYTES,
} from "../task/taskLimits.ts";
import { dueAfter } from "../time/wholeMillis.ts";
import { inTransaction, openStoreFile } from "./storeFile.ts";

export interface SqliteWorkQueueOptions {
  /** The database file; its folder is created when missing. */
  readonly path: string;
  /** How long a lease lasts without a renewal (default 30 s). */
  readonly leaseMs?: number;
  /** Unfinished tasks (ready, leased, delayed) beyond which enqueue refuses with MailboxFull. */
  readonly maxLength?: number;
  /** The largest task input accepted, JSON-encoded (default 1 MiB); enqueue refuses a larger one with InvalidTask. */
  readonly maxTaskBytes?: number;
  /** How long finished (succeeded or cancelled) tasks are kept, for records and idempotent enqueue (default 7 days). */
  readonly keepFinishedMs?: number;
  /** How long a write waits for another process's transaction (default 5 s). */
  readonly busyTimeoutMs?: number;
  /** How often a waiting lease looks for new work written by another handle (default 50 ms). */
  readonly pollMs?: number;
  readonly logger?: Logger;
}

export interface SqliteWorkQueue extends WorkQueue, IdempotencyStore {
  /** The database file's absolute path. */
  readonly path: string;
}

interface TaskRow {
  id: string;
  input: string;
  status: TaskRecordStatus;
  holder: string | null;
  attempts: number;
}

interface DeadRow {
  task_id: string;
  input: string;
  attempts: number;
  error_tag: string;
  error_reason: string;
  at: number;
}

const DAY_MS = 86_400_000;
const OPEN = "('queued', 'leased', 'delayed')";

const parseInput = (text: string): { input: TaskInput } | { error: string } => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `is not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { error: "is not a JSON object" };
  return { input: value as TaskInput };
};

const snippet = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

const toJson = (value: unknown, what: string): string => {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TroupeError(
      "InvalidTask",
      `invalid task: ${what} cannot be stored as JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (text === undefined)
    throw new TroupeError("InvalidTask", `invalid task: ${what} cannot be stored as JSON`);
  return text;
};

class SqliteQueue implements SqliteWorkQueue {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #leaseMs: number;
  readonly #maxLength: number | undefined;
  readonly #maxTaskBytes: number;
  readonly #pollMs: number;
  readonly #logger: Logger;
  /** Consumers that have leased through this handle: their own old leases come back only once. */
  readonly #resumed = new Set<string>();
  /** Leases waiting in this handle, woken at once by an enqueue through it. */
  readonly #waiters = new Set<() => void>();
  readonly #sql: Record<string, StatementSync>;
  #closed = false;
  #lastKeyPrune = 0;

  constructor(options: SqliteWorkQueueOptions) {
    this.path = resolve(options.path);
    this.#leaseMs = Math.ceil(options.leaseMs ?? 30_000);
    this.#maxTaskBytes = checkMaxTaskBytes(options.maxTaskBytes ?? DEFAULT_MAX_TASK_BYTES);
    this.#maxLength = options.maxLength;
    this.#pollMs = options.pollMs ?? 50;
    this.#logger = options.logger ?? silentLogger;
    for (const [name, value] of [
      ["leaseMs", this.#leaseMs],
      ["pollMs", this.#pollMs],
      ...(options.maxLength === undefined ? [] : [["maxLength", options.maxLength] as const]),
    ] as const) {
      if (!Number.isFinite(value) || value <= 0)
        throw new RangeError(`${name} must be a positive number, got ${value}`);
    }
    this.#db = openStoreFile(this.path, { busyTimeoutMs: options.busyTimeoutMs });
    const db = this.#db;
    this.#sql = {
      exists: db.prepare("SELECT 1 AS found FROM troupe_tasks WHERE id = ?"),
      openCount: db.prepare(`SELECT COUNT(*) AS n FROM troupe_tasks WHERE status IN ${OPEN}`),
      insert: db.prepare(
        "INSERT INTO troupe_tasks (id, input, status, due_at, enqueued_at) VALUES (?, ?, 'queued', ?, ?)",
      ),
      anyLeasable: db.prepare(
        `SELECT EXISTS (SELECT 1 FROM troupe_tasks WHERE status IN ('queued', 'delayed') AND due_at <= ?)
             OR EXISTS (SELECT 1 FROM troupe_tasks WHERE status = 'leased' AND leased_until <= ?) AS found`,
      ),
      own: db.prepare(
        "SELECT id, input, status, holder, attempts FROM troupe_tasks WHERE holder = ? AND status = 'leased' ORDER BY due_at, rowid LIMIT ?",
      ),
      expired: db.prepare(
        `SELECT id, input, status, holder, attempts FROM troupe_tasks
         WHERE status = 'leased' AND leased_until <= ? AND NOT (? AND holder = ?)
         ORDER BY leased_until, rowid LIMIT ?`,
      ),
      due: db.prepare(
        "SELECT id, input, status, holder, attempts FROM troupe_tasks WHERE status = ? AND due_at <= ? ORDER BY due_at, rowid LIMIT ?",
      ),
      claim: db.prepare(
        `UPDATE troupe_tasks SET status = 'leased', holder = ?, fence = fence + 1, attempts = attempts + 1, leased_until = ?
         WHERE id = ? RETURNING fence, attempts`,
      ),
      renew: db.prepare(
        "UPDATE troupe_tasks SET leased_until = ? WHERE id = ? AND status = 'leased' AND fence = ? AND holder = ?",
      ),
      finish: db.prepare(
        `UPDATE troupe_tasks SET status = ?, output = ?, holder = NULL, leased_until = 0, finished_at = ?,
           error_tag = COALESCE(?, error_tag), error_reason = COALESCE(?, error_reason)
         WHERE id = ? AND status = 'leased' AND fence = ?`,
      ),
      retry: db.prepare(
        `UPDATE troupe_tasks SET status = 'delayed', holder = NULL, leased_until = 0, due_at = ?, error_tag = ?, error_reason = ?
         WHERE id = ? AND status = 'leased' AND fence = ?`,
      ),
      bury: db.prepare(
        `UPDATE troupe_tasks SET status = 'dead', holder = NULL, leased_until = 0, finished_at = ?, error_tag = ?, error_reason = ?
         WHERE id = ? AND status = 'leased' AND fence = ? RETURNING input, attempts`,
      ),
      buryUnreadable: db.prepare(
        `UPDATE troupe_tasks SET status = 'dead', holder = NULL, leased_until = 0, attempts = attempts + 1,
           finished_at = ?, error_tag = ?, error_reason = ? WHERE id = ? RETURNING attempts`,
      ),
      withdraw: db.prepare(
        `UPDATE troupe_tasks SET status = 'cancelled', finished_at = ?, error_tag = 'Cancelled', error_reason = ?
         WHERE id = ? AND status IN ('queued', 'delayed')`,
      ),
      status: db.prepare("SELECT status FROM troupe_tasks WHERE id = ?"),
      addDead: db.prepare(
        "INSERT INTO troupe_dead_letters (task_id, input, attempts, error_tag, error_reason, at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      deadLetters: db.prepare(
        "SELECT task_id, input, attempts, error_tag, error_reason, at FROM troupe_dead_letters ORDER BY seq DESC LIMIT ?",
      ),
      record: db.prepare(
        "SELECT status, attempts, output, error_tag, error_reason FROM troupe_tasks WHERE id = ?",
      ),
      counts: db.prepare(
        "SELECT status, COUNT(*) AS n FROM troupe_tasks WHERE status IN ('queued', 'leased', 'delayed', 'dead') GROUP BY status",
      ),
      oldest: db.prepare(`SELECT MIN(enqueued_at) AS at FROM troupe_tasks WHERE status IN ${OPEN}`),
      pruneFinished: db.prepare(
        "DELETE FROM troupe_tasks WHERE status IN ('succeeded', 'cancelled') AND finished_at < ?",
      ),
      dropExpiredKey: db.prepare("DELETE FROM troupe_idempotency WHERE key = ? AND expires_at <= ?"),
      pruneKeys: db.prepare("DELETE FROM troupe_idempotency WHERE expires_at <= ?"),
      claimKey: db.prepare("INSERT OR IGNORE INTO troupe_idempotency (key, expires_at) VALUES (?, ?)"),
    };
    const pruned = this.#transaction(() => {
      const now = Date.now();
      this.#sql.pruneKeys!.run(now);
      return Number(this.#sql.pruneFinished!.run(now - (options.keepFinishedMs ?? 7 * DAY_MS)).changes);
    });
    if (pruned > 0) this.#logger.log("debug", "work queue: old finished tasks pruned", { pruned });
  }

  #statement(name: string): StatementSync {
    if (this.#closed) throw new Error(`the work queue on ${this.path} is closed`);
    return this.#sql[name]!;
  }

  #transaction<T>(work: () => T): T {
    return inTransaction(this.#db, work);
  }

  async enqueue(item: WorkItem): Promise<void> {
    checkTaskId(item.id);
    if (typeof item.input !== "object" || item.input === null)
      throw new TroupeError("InvalidTask", "invalid task: `input` must be an object");
    const input = toJson(item.input, "`input`");
    checkTaskBytes(Buffer.byteLength(input, "utf8"), this.#maxTaskBytes);
    const added = this.#transaction(() => {
      if (this.#statement("exists").get(item.id)) return false;
      if (this.#maxLength !== undefined) {
        const { n } = this.#statement("openCount").get() as { n: number };
        if (n >= this.#maxLength) {
          throw new TroupeError(
            "MailboxFull",
            `the work queue is full: ${n} unfinished tasks (limit ${this.#maxLength}); task ${item.id} was not queued`,
            { data: { taskId: item.id, limit: this.#maxLength } },
          );
        }
      }
      const now = Date.now();
      this.#statement("insert").run(item.id, input, now, now);
      return true;
    });
    if (added) for (const wake of [...this.#waiters]) wake();
  }

  async lease(consumer: string, options: LeaseOptions): Promise<Lease[]> {
    const deadline = Date.now() + options.waitMs;
    while (!this.#closed) {
      const leases = this.#take(consumer, options.max);
      if (leases.length > 0 || options.signal?.aborted) return leases;
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.#pause(Math.min(left, this.#pollMs), options.signal);
    }
    return [];
  }

  /** Wait `ms`, or less when an enqueue through this handle, close() or the signal ends it. */
  #pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  #take(consumer: string, max: number): Lease[] {
    if (max <= 0) return [];
    const resuming = !this.#resumed.has(consumer);
    const now = Date.now();
    // A cheap read first: an idle poll never takes the write lock.
    if (!resuming) {
      const { found } = this.#statement("anyLeasable").get(now, now) as { found: number };
      if (!found) return [];
    }
    const leases = this.#transaction(() => {
      const rows: TaskRow[] = [];
      const room = () => max - rows.length;
      if (resuming) rows.push(...(this.#statement("own").all(consumer, room()) as unknown as TaskRow[]));
      if (room() > 0)
        rows.push(
          ...(this.#statement("expired").all(
            now,
            resuming ? 1 : 0,
            consumer,
            room(),
          ) as unknown as TaskRow[]),
        );
      for (const status of ["delayed", "queued"] as const)
        if (room() > 0)
          rows.push(...(this.#statement("due").all(status, now, room()) as unknown as TaskRow[]));
      const taken: Lease[] = [];
      for (const row of rows) {
        const parsed = parseInput(row.input);
        if ("error" in parsed) {
          this.#buryUnreadable(row, parsed.error, now);
          continue;
        }
        const claimed = this.#statement("claim").get(consumer, now + this.#leaseMs, row.id) as {
          fence: number;
          attempts: number;
        };
        taken.push({ taskId: row.id, input: parsed.input, fence: claimed.fence, attempt: claimed.attempts });
      }
      return taken;
    });
    this.#resumed.add(consumer);
    return leases;
  }

  /** A row whose stored input cannot be read can never run: bury it with a clear error, never crash. */
  #buryUnreadable(row: TaskRow, problem: string, now: number) {
    const error: FailureInfo = {
      tag: "InvalidTask",
      reason: `the stored input of task ${row.id} ${problem}: ${snippet(row.input)}`,
    };
    const { attempts } = this.#statement("buryUnreadable").get(now, error.tag, error.reason, row.id) as {
      attempts: number;
    };
    this.#statement("addDead").run(row.id, "{}", attempts, error.tag, error.reason, now);
    this.#logger.log("error", "work queue: a task with unreadable input was moved to the dead letters", {
      taskId: row.id,
      reason: error.reason,
    });
  }

  async renew(lease: Lease, consumer: string): Promise<boolean> {
    const { changes } = this.#statement("renew").run(
      Date.now() + this.#leaseMs,
      lease.taskId,
      lease.fence,
      consumer,
    );
    return Number(changes) > 0;
  }

  async finish(lease: Lease, outcome: FinalOutcome): Promise<Settlement> {
    let output: string | null = null;
    if (outcome.status === "succeeded" && outcome.output !== undefined) {
      try {
        output = toJson(outcome.output, "the output");
      } catch (error) {
        this.#logger.log("warn", "work queue: a task's output cannot be stored as JSON; keeping none", {
          taskId: lease.taskId,
          error,
        });
      }
    }
    const cancelled = outcome.status === "cancelled";
    const { changes } = this.#statement("finish").run(
      outcome.status,
      output,
      Date.now(),
      cancelled ? "Cancelled" : null,
      cancelled ? outcome.reason : null,
      lease.taskId,
      lease.fence,
    );
    return Number(changes) > 0 ? "accepted" : "fenced";
  }

  async retry(lease: Lease, error: FailureInfo, delayMs: number): Promise<Settlement> {
    const { changes } = this.#statement("retry").run(
      dueAfter(Date.now(), delayMs),
      error.tag,
      error.reason,
      lease.taskId,
      lease.fence,
    );
    return Number(changes) > 0 ? "accepted" : "fenced";
  }

  async bury(lease: Lease, error: FailureInfo): Promise<Settlement> {
    return this.#transaction(() => {
      const now = Date.now();
      const row = this.#statement("bury").get(now, error.tag, error.reason, lease.taskId, lease.fence) as
        | { input: string; attempts: number }
        | undefined;
      if (!row) return "fenced";
      this.#statement("addDead").run(lease.taskId, row.input, row.attempts, error.tag, error.reason, now);
      return "accepted";
    });
  }

  async withdraw(taskId: string, reason: string): Promise<WithdrawOutcome> {
    return this.#transaction(() => {
      if (Number(this.#statement("withdraw").run(Date.now(), reason, taskId).changes) > 0) return "withdrawn";
      const row = this.#statement("status").get(taskId) as { status: TaskRecordStatus } | undefined;
      return row === undefined ? "unknown" : row.status === "leased" ? "running" : "ended";
    });
  }

  async deadLetters(limit = 100): Promise<readonly DeadLetter[]> {
    const rows = this.#statement("deadLetters").all(limit) as unknown as DeadRow[];
    return rows.reverse().map((row) => {
      const parsed = parseInput(row.input);
      return {
        taskId: row.task_id,
        input: "input" in parsed ? parsed.input : {},
        attempts: row.attempts,
        error: { tag: row.error_tag, reason: row.error_reason },
        at: row.at,
      };
    });
  }

  async record(taskId: string): Promise<TaskRecord | undefined> {
    const row = this.#statement("record").get(taskId) as
      | {
          status: TaskRecordStatus;
          attempts: number;
          output: string | null;
          error_tag: string | null;
          error_reason: string | null;
        }
      | undefined;
    if (!row) return undefined;
    let output: unknown;
    if (row.output !== null) {
      try {
        output = JSON.parse(row.output);
      } catch {
        output = undefined; // a damaged output is left out rather than thrown at the reader
      }
    }
    return {
      taskId,
      status: row.status,
      attempts: row.attempts,
      ...(output === undefined ? {} : { output }),
      ...(row.error_tag === null ? {} : { error: { tag: row.error_tag, reason: row.error_reason ?? "" } }),
    };
  }

  async stats(): Promise<QueueStats> {
    const counts = new Map(
      (this.#statement("counts").all() as unknown as { status: string; n: number }[]).map((row) => [
        row.status,
        row.n,
      ]),
    );
    const { at } = this.#statement("oldest").get() as { at: number | null };
    return {
      ready: counts.get("queued") ?? 0,
      leased: counts.get("leased") ?? 0,
      delayed: counts.get("delayed") ?? 0,
      dead: counts.get("dead") ?? 0,
      oldestAgeMs: at === null ? undefined : Math.max(0, Date.now() - at),
    };
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const expiresAt = dueAfter(now, ttlMs, "ttlMs");
    return this.#transaction(() => {
      if (now - this.#lastKeyPrune > 60_000) {
        this.#lastKeyPrune = now;
        this.#statement("pruneKeys").run(now);
      } else {
        this.#statement("dropExpiredKey").run(key, now);
      }
      return Number(this.#statement("claimKey").run(key, expiresAt).changes) === 1;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of [...this.#waiters]) wake();
    this.#db.close();
  }
}

/** Open (and create when missing) the embedded work queue in a SQLite file. */
export const openSqliteWorkQueue = (options: SqliteWorkQueueOptions): SqliteWorkQueue =>
  new SqliteQueue(options);
