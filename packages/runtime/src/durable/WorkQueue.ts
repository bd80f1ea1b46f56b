// The durable work queue: the port through which tasks outlive the process that accepted them.
// Adapters: Redis Streams (`@troupe/runtime/redis`, many hosts) and node:sqlite (the embedded
// default, one box). A task is leased by one consumer at a time; every lease carries a fencing
// token that grows with each claim, so a worker whose lease was taken over (it was paused, or cut
// off) has its late outcome refused instead of applied twice.
import type { TaskInput } from "../task/Task.ts";

export interface WorkItem {
  readonly id: string;
  readonly input: TaskInput;
}

export interface Lease {
  readonly taskId: string;
  readonly input: TaskInput;
  /** The fencing token of this claim; any earlier claim's outcome is refused. */
  readonly fence: number;
  /** Which delivery this is (1 for the first), counting retries and takeovers. */
  readonly attempt: number;
}

/** Whether an outcome was applied, or refused because the lease had been taken over. */
export type Settlement = "accepted" | "fenced";

export interface FailureInfo {
  readonly tag: string;
  readonly reason: string;
}

export type FinalOutcome =
  | { readonly status: "succeeded"; readonly output: unknown }
  | { readonly status: "cancelled"; readonly reason: string };

export interface DeadLetter {
  readonly taskId: string;
  readonly input: TaskInput;
  readonly attempts: number;
  readonly error: FailureInfo;
  readonly at: number;
}

export type TaskRecordStatus = "queued" | "leased" | "delayed" | "succeeded" | "cancelled" | "dead";

export interface TaskRecord {
  readonly taskId: string;
  readonly status: TaskRecordStatus;
  readonly attempts: number;
  readonly output?: unknown;
  /** The last failure; for a cancelled task, `{ tag: "Cancelled", reason }`. */
  readonly error?: FailureInfo;
}

/** The record of a task that is over: it will not be delivered again. */
export type EndedRecord = TaskRecord & { readonly status: "succeeded" | "cancelled" | "dead" };

export const isEnded = (record: TaskRecord | undefined): record is EndedRecord =>
  record?.status === "succeeded" || record?.status === "cancelled" || record?.status === "dead";

export interface QueueStats {
  /** Waiting to be leased now. */
  readonly ready: number;
  /** Leased by a consumer and not finished. */
  readonly leased: number;
  /** Waiting for a retry's backoff to pass. */
  readonly delayed: number;
  readonly dead: number;
  /** Age of the oldest unfinished task, for the backlog alert. */
  readonly oldestAgeMs: number | undefined;
}

/**
 * What `withdraw` found: the task was waiting and is now cancelled (`withdrawn`), or it is leased by a
 * worker (`running`: cancel it where it runs), or it has already ended, or the queue does not know it.
 */
export type WithdrawOutcome = "withdrawn" | "running" | "ended" | "unknown";

export interface LeaseOptions {
  readonly max: number;
  /** How long to wait when nothing is ready (0: return at once). */
  readonly waitMs: number;
  readonly signal?: AbortSignal;
}

export interface WorkQueue {
  /** Add a task; enqueuing an id that is already known does nothing. */
  enqueue(item: WorkItem): Promise<void>;
  /**
   * Up to `max` tasks for `consumer`: on the first call through this handle, its own unfinished
   * leases (a restarted process picks up where it died); then tasks whose lease expired (their
   * holder stopped renewing), then due retries, then new tasks.
   */
  lease(consumer: string, options: LeaseOptions): Promise<Lease[]>;
  /** Keep a lease alive while its task runs; false when it has been taken over. */
  renew(lease: Lease, consumer: string): Promise<boolean>;
  /** The task is over (succeeded or cancelled): it is never delivered again. */
  finish(lease: Lease, outcome: FinalOutcome): Promise<Settlement>;
  /** The task failed but may succeed later: deliver it again after `delayMs`. */
  retry(lease: Lease, error: FailureInfo, delayMs: number): Promise<Settlement>;
  /** The task failed for good: move it to the dead-letter list with its last error. */
  bury(lease: Lease, error: FailureInfo): Promise<Settlement>;
  /**
   * Cancel a task that is still waiting (queued, or delayed for a retry): it is never delivered and
   * its record says `cancelled` with `error: { tag: "Cancelled", reason }`. A leased task is left alone.
   */
  withdraw(taskId: string, reason: string): Promise<WithdrawOutcome>;
  deadLetters(limit?: number): Promise<readonly DeadLetter[]>;
  record(taskId: string): Promise<TaskRecord | undefined>;
  stats(): Promise<QueueStats>;
  close(): Promise<void>;
}

/** Idempotency keys for side effects: the first claim of a key wins until it expires. */
export interface IdempotencyStore {
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
}
