// The scheduler: durable jobs that submit tasks on a cron expression, an interval or once. Each job
// is saved in a SnapshotStore (key `scheduler/job/<id>`) whenever it changes, so jobs survive a
// restart. Timers run on an injected clock (the runtime's Clock; a fake one in tests).
//
// Missed runs (the process was down when a job was due), the documented policy: on `start()` a job
// whose run was missed runs ONCE, at once, however many runs were missed — never a burst — and is
// then scheduled from now; with `missed: "skip"` the missed runs are dropped and the job waits for its
// next time. A one-shot that was missed runs once at start (or is dropped with "skip").
// An interval that fires late (a slow event loop) is rescheduled from now, so it never catches up
// in a burst either.
import { randomUUID } from "node:crypto";
import { type Clock, type SnapshotStore, type TaskInput, TroupeError } from "@troupe/runtime";
import { Schema } from "effect";
import { describeSpec, nextRunAfter, type ScheduleSpec } from "./scheduleSpec.ts";

export const ScheduledJob = Schema.Struct({
  id: Schema.String,
  kind: Schema.Literals(["cron", "every", "at"]),
  /** As a person reads it: the cron expression, "every 5m", "at <ISO>". */
  schedule: Schema.String,
  expression: Schema.optional(Schema.String),
  timezone: Schema.optional(Schema.String),
  everyMs: Schema.optional(Schema.Number),
  at: Schema.optional(Schema.Number),
  /** The task text submitted at each run. */
  text: Schema.String,
  /** The agent each run goes to; routed by the team's rules when absent. */
  agent: Schema.optional(Schema.String),
  from: Schema.optional(Schema.String),
  channel: Schema.optional(Schema.String),
  createdAt: Schema.Number,
  /** Next run (epoch ms); null once a one-shot has run. */
  nextRunAt: Schema.NullOr(Schema.Number),
  lastRunAt: Schema.NullOr(Schema.Number),
  runs: Schema.Number,
  lastError: Schema.optional(Schema.String),
});
export type ScheduledJob = typeof ScheduledJob.Type;

const decodeJob = Schema.decodeUnknownSync(ScheduledJob);

export interface SchedulerOptions {
  readonly store: SnapshotStore;
  /** Submits a job's task (e.g. `(input) => team.submit(input)`, or the durable queue's enqueue). */
  readonly submit: (input: TaskInput, job: ScheduledJob) => unknown;
  /** Its timers (default: wall time, timers that do not keep the process alive). */
  readonly clock?: Clock;
  /** Missed runs after downtime: "once" (default: one run at start, never a burst) or "skip". */
  readonly missed?: "once" | "skip";
  /** A job's failure to submit (logged by the host; the job keeps its schedule). */
  readonly onError?: (error: unknown, job: ScheduledJob) => void;
}

const PREFIX = "scheduler/job/";

/** Wall time whose timers never keep the process alive: a host exits even with jobs scheduled. */
const unrefClock: Clock = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms).unref(),
  clearTimeout: (id: ReturnType<typeof setTimeout>) => clearTimeout(id),
  now: () => Date.now(),
};
/** setTimeout's limit; longer waits are re-armed. */
const MAX_WAIT = 2 ** 31 - 1;

const specOf = (job: ScheduledJob): ScheduleSpec =>
  job.kind === "cron"
    ? { kind: "cron", expression: job.expression!, ...(job.timezone ? { timezone: job.timezone } : {}) }
    : job.kind === "every"
      ? { kind: "every", everyMs: job.everyMs! }
      : { kind: "at", at: job.at! };

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #clock: Clock;
  readonly #jobs = new Map<string, ScheduledJob>();
  // biome-ignore lint/suspicious/noExplicitAny: the timer handle type differs between clocks
  readonly #timers = new Map<string, any>();
  #started = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? unrefClock;
  }

  /** Load the saved jobs, apply the missed-run policy, and arm the timers. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const now = this.#clock.now();
    for (const key of await this.#options.store.keys(PREFIX)) {
      const job = decodeJob(await this.#options.store.load(key));
      this.#jobs.set(job.id, job);
    }
    for (const job of [...this.#jobs.values()]) {
      if (job.nextRunAt !== null && job.nextRunAt <= now) {
        if ((this.#options.missed ?? "once") === "once") await this.#run(job.id);
        else await this.#reschedule(job, now);
      } else {
        this.#arm(job);
      }
    }
  }

  stop(): void {
    this.#started = false;
    for (const timer of this.#timers.values()) this.#clock.clearTimeout(timer);
    this.#timers.clear();
  }

  list(): ScheduledJob[] {
    return [...this.#jobs.values()].sort((a, b) => (a.nextRunAt ?? Infinity) - (b.nextRunAt ?? Infinity));
  }

  async schedule(
    spec: ScheduleSpec,
    text: string,
    extra: { from?: string | undefined; channel?: string | undefined; agent?: string | undefined } = {},
  ): Promise<ScheduledJob> {
    const now = this.#clock.now();
    const nextRunAt = nextRunAfter(spec, now);
    if (nextRunAt === null) {
      throw new TroupeError("InvalidCommand", `${describeSpec(spec)} is in the past; nothing to schedule`);
    }
    const job: ScheduledJob = {
      id: `job-${randomUUID().slice(0, 8)}`,
      kind: spec.kind,
      schedule: describeSpec(spec),
      ...(spec.kind === "cron"
        ? { expression: spec.expression, ...(spec.timezone ? { timezone: spec.timezone } : {}) }
        : {}),
      ...(spec.kind === "every" ? { everyMs: spec.everyMs } : {}),
      ...(spec.kind === "at" ? { at: spec.at } : {}),
      text,
      ...(extra.agent ? { agent: extra.agent } : {}),
      ...(extra.from ? { from: extra.from } : {}),
      ...(extra.channel ? { channel: extra.channel } : {}),
      createdAt: now,
      nextRunAt,
      lastRunAt: null,
      runs: 0,
    };
    await this.#save(job);
    this.#arm(job);
    return job;
  }

  /** Remove a job; false when there is no job with that id. */
  async unschedule(id: string): Promise<boolean> {
    if (!this.#jobs.has(id)) return false;
    this.#disarm(id);
    this.#jobs.delete(id);
    await this.#options.store.delete(`${PREFIX}${id}`);
    return true;
  }

  async #save(job: ScheduledJob): Promise<void> {
    this.#jobs.set(job.id, job);
    await this.#options.store.save(`${PREFIX}${job.id}`, job);
  }

  #disarm(id: string): void {
    const timer = this.#timers.get(id);
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    this.#timers.delete(id);
  }

  #arm(job: ScheduledJob): void {
    this.#disarm(job.id);
    if (!this.#started || job.nextRunAt === null) return;
    const wait = Math.max(0, job.nextRunAt - this.#clock.now());
    const timer = this.#clock.setTimeout(
      () => {
        this.#timers.delete(job.id);
        if (wait > MAX_WAIT) this.#arm(job);
        else void this.#run(job.id);
      },
      Math.min(wait, MAX_WAIT),
    );
    this.#timers.set(job.id, timer);
  }

  async #reschedule(job: ScheduledJob, now: number, ran?: Partial<ScheduledJob>): Promise<void> {
    const nextRunAt = job.kind === "at" ? null : nextRunAfter(specOf(job), now);
    if (nextRunAt === null) {
      await this.unschedule(job.id);
      return;
    }
    const updated = { ...job, ...ran, nextRunAt };
    await this.#save(updated);
    this.#arm(updated);
  }

  async #run(id: string): Promise<void> {
    const job = this.#jobs.get(id);
    if (!job || !this.#started) return;
    const now = this.#clock.now();
    let lastError: string | undefined;
    try {
      await this.#options.submit(
        {
          text: job.text,
          ...(job.agent ? { agent: job.agent } : {}),
          ...(job.from ? { from: job.from } : {}),
          ...(job.channel ? { channel: job.channel } : {}),
        },
        job,
      );
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      this.#options.onError?.(error, job);
    }
    const { lastError: _previous, ...rest } = job;
    await this.#reschedule(rest, now, {
      lastRunAt: now,
      runs: job.runs + 1,
      ...(lastError ? { lastError } : {}),
    });
  }
}
