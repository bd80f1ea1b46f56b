// The scheduler: durable jobs that submit tasks on a cron expression, an interval or once. Each job
// is saved in a SnapshotStore (key `scheduler/job/<id>`) whenever it changes, so jobs survive a
// restart. Timers run on an injected clock (the runtime's Clock; a fake one in tests).
//
// Missed runs (the process was down when a job was due), the documented policy: on `start()` a job
// whose run was missed runs ONCE, at once, however many runs were missed — never a burst — and is
// then scheduled from now; with `missed: "skip"` the missed runs are dropped and the job waits for its
// next time. A one-shot that was missed runs once at start (or is dropped with "skip").
// An interval that fires late (a slow event loop) is rescheduled from now, so it never catches up
// in a burst either. Each job runs as its own small actor (jobMachine: armed → running →
// rescheduling, with the catch-up on start), its timers on the scheduler's clock.
import { randomUUID } from "node:crypto";
import { type Clock, type SnapshotStore, type TaskInput, TroupeError } from "@troupe/runtime";
import { Schema } from "effect";
import { type Actor, assign, createActor, fromPromise, waitFor } from "xstate";
import { type JobContext, jobMachine, type RunOutcome } from "./jobMachine.ts";
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
/** A job's id from a random UUID: short enough to type in /unschedule. */
export const jobId = (uuid: string): string => `job-${uuid.slice(0, 8)}`;

/** setTimeout's limit; longer waits are re-armed. */
const MAX_WAIT = 2 ** 31 - 1;

const specOf = (job: ScheduledJob): ScheduleSpec =>
  job.kind === "cron"
    ? { kind: "cron", expression: job.expression!, ...(job.timezone ? { timezone: job.timezone } : {}) }
    : job.kind === "every"
      ? { kind: "every", everyMs: job.everyMs! }
      : { kind: "at", at: job.at! };

type JobLogic = typeof jobMachine;

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #clock: Clock;
  readonly #jobs = new Map<string, ScheduledJob>();
  readonly #actors = new Map<string, Actor<JobLogic>>();
  readonly #logic: JobLogic;
  #started = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? unrefClock;
    const clock = this.#clock;
    this.#logic = jobMachine.provide({
      actors: {
        submitRun: fromPromise<RunOutcome, ScheduledJob>(({ input }) => this.#submit(input)),
        reschedule: fromPromise<ScheduledJob | null, { job: ScheduledJob; from: number }>(({ input }) =>
          this.#reschedule(input.job, input.from),
        ),
      },
      guards: {
        missed: ({ context }: { context: JobContext }) =>
          context.catchUp !== "none" &&
          context.job.nextRunAt !== null &&
          context.job.nextRunAt <= clock.now(),
        notDueYet: ({ context }: { context: JobContext }) =>
          context.job.nextRunAt !== null && context.job.nextRunAt > clock.now(),
      },
      actions: { startFromNow: assign({ from: () => clock.now() }) },
      delays: {
        untilDue: ({ context }: { context: JobContext }) =>
          Math.min(Math.max(0, (context.job.nextRunAt ?? 0) - clock.now()), MAX_WAIT),
      },
    });
  }

  /** Load the saved jobs, apply the missed-run policy (each catch-up run done before it returns), and arm the timers. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const key of await this.#options.store.keys(PREFIX)) {
      const job = decodeJob(await this.#options.store.load(key));
      this.#jobs.set(job.id, job);
    }
    const catchUp = this.#options.missed ?? "once";
    const actors = [...this.#jobs.values()].map((job) => this.#spawn(job, catchUp));
    await Promise.all(
      actors.map((actor) =>
        waitFor(actor, (snapshot) => snapshot.matches("armed") || snapshot.status !== "active"),
      ),
    );
  }

  stop(): void {
    this.#started = false;
    for (const actor of this.#actors.values()) actor.stop();
    this.#actors.clear();
  }

  list(): ScheduledJob[] {
    return [...this.#jobs.values()].sort((a, b) => (a.nextRunAt ?? Infinity) - (b.nextRunAt ?? Infinity));
  }

  async schedule(
    spec: ScheduleSpec,
    text: string,
    extra: {
      from?: string | undefined;
      channel?: string | undefined;
      agent?: string | undefined;
      /** The job's id (default a fresh `job-…`); the agent makes it with `ctx.randomId()`. */
      id?: string;
      /** When it is scheduled (default the scheduler's clock); the agent reads it with `ctx.now()`. */
      now?: number;
    } = {},
  ): Promise<ScheduledJob> {
    const now = extra.now ?? this.#clock.now();
    const nextRunAt = nextRunAfter(spec, now);
    if (nextRunAt === null) {
      throw new TroupeError("InvalidCommand", `${describeSpec(spec)} is in the past; nothing to schedule`);
    }
    const job: ScheduledJob = {
      id: extra.id ?? jobId(randomUUID()),
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
    if (this.#started) this.#spawn(job, "none");
    return job;
  }

  /** Remove a job; false when there is no job with that id. */
  async unschedule(id: string): Promise<boolean> {
    if (!this.#jobs.has(id)) return false;
    this.#actors.get(id)?.stop();
    this.#actors.delete(id);
    this.#jobs.delete(id);
    await this.#options.store.delete(`${PREFIX}${id}`);
    return true;
  }

  #spawn(job: ScheduledJob, catchUp: JobContext["catchUp"]): Actor<JobLogic> {
    const actor = createActor(this.#logic, { input: { job, catchUp }, clock: this.#clock });
    this.#actors.set(job.id, actor);
    actor.start();
    return actor;
  }

  async #save(job: ScheduledJob): Promise<void> {
    this.#jobs.set(job.id, job);
    await this.#options.store.save(`${PREFIX}${job.id}`, job);
  }

  /** The job saved with its next time after `from`; a one-shot that ran, or one with no next time, is forgotten. */
  async #reschedule(job: ScheduledJob, from: number): Promise<ScheduledJob | null> {
    const nextRunAt = job.kind === "at" ? null : nextRunAfter(specOf(job), from);
    if (nextRunAt === null) {
      this.#actors.delete(job.id);
      this.#jobs.delete(job.id);
      await this.#options.store.delete(`${PREFIX}${job.id}`);
      return null;
    }
    const updated = { ...job, nextRunAt };
    await this.#save(updated);
    return updated;
  }

  async #submit(job: ScheduledJob): Promise<RunOutcome> {
    const ranAt = this.#clock.now();
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
      return { ranAt };
    } catch (error) {
      this.#options.onError?.(error, job);
      return { ranAt, lastError: error instanceof Error ? error.message : String(error) };
    }
  }
}
