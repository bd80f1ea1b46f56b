// An in-memory WorkQueue for unit tests of what sits on top of the queue (the worker, the host's
// console). It keeps the contract — leases, expiry, fencing, retries, dead letters — in one
// process's memory, so it is for tests only: a real host uses Redis or the embedded SQLite file.
import type {
  DeadLetter,
  FailureInfo,
  FinalOutcome,
  Lease,
  LeaseOptions,
  QueueStats,
  Settlement,
  TaskRecord,
  WithdrawOutcome,
  WorkItem,
  WorkQueue,
} from "../durable/WorkQueue.ts";
import { checkTaskId, checkTaskSize, DEFAULT_MAX_TASK_BYTES } from "../task/taskLimits.ts";
import { dueAfter } from "../time/wholeMillis.ts";

interface Entry {
  item: WorkItem;
  status: TaskRecord["status"];
  fence: number;
  attempts: number;
  holder: string | undefined;
  leasedUntil: number;
  dueAt: number;
  enqueuedAt: number;
  output?: unknown;
  error?: FailureInfo;
}

interface SharedState {
  readonly entries: Map<string, Entry>;
  readonly dead: DeadLetter[];
  wake: (() => void) | undefined;
}

export class MemoryWorkQueue implements WorkQueue {
  readonly #state: SharedState;
  readonly #entries: Map<string, Entry>;
  readonly #dead: DeadLetter[];
  readonly #leaseMs: number;
  readonly #now: () => number;
  /** Consumers that have leased through this handle: their own old leases come back only once. */
  readonly #resumed = new Set<string>();

  constructor(options: { leaseMs?: number; now?: () => number } = {}, state?: SharedState) {
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#state = state ?? { entries: new Map(), dead: [], wake: undefined };
    this.#entries = this.#state.entries;
    this.#dead = this.#state.dead;
  }

  /** Another handle on the same tasks, as a restarted process would open it. */
  reopen(): MemoryWorkQueue {
    return new MemoryWorkQueue({ leaseMs: this.#leaseMs, now: this.#now }, this.#state);
  }

  async enqueue(item: WorkItem): Promise<void> {
    checkTaskId(item.id);
    checkTaskSize(item.input, DEFAULT_MAX_TASK_BYTES);
    if (this.#entries.has(item.id)) return;
    const now = this.#now();
    this.#entries.set(item.id, {
      item,
      status: "queued",
      fence: 0,
      attempts: 0,
      holder: undefined,
      leasedUntil: 0,
      dueAt: now,
      enqueuedAt: now,
    });
    this.#state.wake?.();
  }

  async lease(consumer: string, options: LeaseOptions): Promise<Lease[]> {
    const deadline = this.#now() + options.waitMs;
    while (true) {
      const leases = this.#take(consumer, options.max);
      if (leases.length > 0 || options.signal?.aborted) return leases;
      const left = deadline - this.#now();
      if (left <= 0) return [];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 20));
        this.#state.wake = () => {
          clearTimeout(timer);
          resolve();
        };
        options.signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      this.#state.wake = undefined;
    }
  }

  #take(consumer: string, max: number): Lease[] {
    const now = this.#now();
    const resuming = !this.#resumed.has(consumer);
    this.#resumed.add(consumer);
    const order = (entry: Entry) =>
      entry.status === "leased" && entry.holder === consumer ? 0 : entry.status === "leased" ? 1 : 2;
    const candidates = [...this.#entries.values()]
      .filter(
        (entry) =>
          (entry.status === "leased" &&
            ((resuming && entry.holder === consumer) || entry.leasedUntil <= now)) ||
          ((entry.status === "queued" || entry.status === "delayed") && entry.dueAt <= now),
      )
      .sort((a, b) => order(a) - order(b) || a.dueAt - b.dueAt)
      .slice(0, max);
    return candidates.map((entry) => {
      entry.status = "leased";
      entry.holder = consumer;
      entry.fence += 1;
      entry.attempts += 1;
      entry.leasedUntil = now + this.#leaseMs;
      return { taskId: entry.item.id, input: entry.item.input, fence: entry.fence, attempt: entry.attempts };
    });
  }

  #held(lease: Lease): Entry | undefined {
    const entry = this.#entries.get(lease.taskId);
    return entry?.status === "leased" && entry.fence === lease.fence ? entry : undefined;
  }

  async renew(lease: Lease): Promise<boolean> {
    const entry = this.#held(lease);
    if (entry) entry.leasedUntil = this.#now() + this.#leaseMs;
    return entry !== undefined;
  }

  async finish(lease: Lease, outcome: FinalOutcome): Promise<Settlement> {
    const entry = this.#held(lease);
    if (!entry) return "fenced";
    entry.status = outcome.status;
    if (outcome.status === "succeeded") entry.output = outcome.output;
    else entry.error = { tag: "Cancelled", reason: outcome.reason };
    return "accepted";
  }

  async retry(lease: Lease, error: FailureInfo, delayMs: number): Promise<Settlement> {
    const dueAt = dueAfter(this.#now(), delayMs);
    const entry = this.#held(lease);
    if (!entry) return "fenced";
    Object.assign(entry, { status: "delayed", holder: undefined, error, dueAt });
    return "accepted";
  }

  async bury(lease: Lease, error: FailureInfo): Promise<Settlement> {
    const entry = this.#held(lease);
    if (!entry) return "fenced";
    Object.assign(entry, { status: "dead", holder: undefined, error });
    this.#dead.push({
      taskId: lease.taskId,
      input: entry.item.input,
      attempts: entry.attempts,
      error,
      at: this.#now(),
    });
    return "accepted";
  }

  async withdraw(taskId: string, reason: string): Promise<WithdrawOutcome> {
    const entry = this.#entries.get(taskId);
    if (!entry) return "unknown";
    if (entry.status === "leased") return "running";
    if (entry.status !== "queued" && entry.status !== "delayed") return "ended";
    Object.assign(entry, { status: "cancelled", error: { tag: "Cancelled", reason } });
    return "withdrawn";
  }

  async deadLetters(limit = 100): Promise<readonly DeadLetter[]> {
    return this.#dead.slice(-limit);
  }

  async record(taskId: string): Promise<TaskRecord | undefined> {
    const entry = this.#entries.get(taskId);
    if (!entry) return undefined;
    const { status, attempts, output, error } = entry;
    return {
      taskId,
      status,
      attempts,
      ...(output === undefined ? {} : { output }),
      ...(error ? { error } : {}),
    };
  }

  async stats(): Promise<QueueStats> {
    const now = this.#now();
    const count = (status: TaskRecord["status"]) =>
      [...this.#entries.values()].filter((entry) => entry.status === status).length;
    const open = [...this.#entries.values()].filter((entry) =>
      ["queued", "leased", "delayed"].includes(entry.status),
    );
    return {
      ready: count("queued"),
      leased: count("leased"),
      delayed: count("delayed"),
      dead: count("dead"),
      oldestAgeMs: open.length === 0 ? undefined : now - Math.min(...open.map((entry) => entry.enqueuedAt)),
    };
  }

  async close(): Promise<void> {}
}
