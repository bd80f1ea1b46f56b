// One scheduled job as a statechart: armed (a timer on the scheduler's clock until the job is due)
// → running (its task submitted) → rescheduling (the next time saved) → armed, or finished once a
// one-shot has run. Started from a saved job whose time passed while the process was down, it first
// catches up: one run at once ("once"), never a burst, or straight to its next time ("skip").
// The steps, guards and delays here are placeholders: the Scheduler provides them (its store, its
// submit, its clock), so the chart can be driven alone in a test.
import { assign, fromPromise, setup } from "xstate";
import type { ScheduledJob } from "./Scheduler.ts";

/** What became of one run: when it ran and, when the submit failed, why. */
export interface RunOutcome {
  readonly ranAt: number;
  readonly lastError?: string;
}

export interface JobContext {
  readonly job: ScheduledJob;
  /** Missed-run policy on a start: "once", "skip", or "none" for a job scheduled just now. */
  readonly catchUp: "once" | "skip" | "none";
  /** Where the next time is computed from: the run's time, or now when a missed run is skipped. */
  readonly from: number;
}

export const jobMachine = setup({
  types: {
    input: {} as { job: ScheduledJob; catchUp: JobContext["catchUp"] },
    context: {} as JobContext,
  },
  actors: {
    /** Submit the job's task (a failure is kept on the job, never thrown). */
    submitRun: fromPromise<RunOutcome, ScheduledJob>(async () => ({ ranAt: 0 })),
    /** Save the job with its next time, or forget it when there is none: null. */
    reschedule: fromPromise<ScheduledJob | null, { job: ScheduledJob; from: number }>(async () => null),
  },
  guards: {
    /** The job's time passed while the process was down (checked on the clock as it starts). */
    missed: () => false,
    /** The timer fired before the job's time (waits longer than one timer can are re-armed). */
    notDueYet: () => false,
  },
  actions: {
    /** A skipped catch-up: the next time is counted from now. */
    startFromNow: assign({ from: 0 }),
  },
  delays: {
    /** Until the job is due, at most setTimeout's limit. */
    untilDue: () => 0,
  },
}).createMachine({
  id: "scheduledJob",
  context: ({ input }) => ({ job: input.job, catchUp: input.catchUp, from: 0 }),
  initial: "starting",
  states: {
    starting: {
      always: [{ guard: "missed", target: "catchingUp" }, { target: "armed" }],
    },
    catchingUp: {
      always: [
        {
          guard: ({ context }) => context.catchUp === "skip",
          target: "rescheduling",
          actions: "startFromNow",
        },
        { target: "running" },
      ],
    },
    armed: {
      after: {
        untilDue: [{ guard: "notDueYet", target: "armed", reenter: true }, { target: "running" }],
      },
    },
    running: {
      invoke: {
        src: "submitRun",
        input: ({ context }) => context.job,
        onDone: {
          target: "rescheduling",
          actions: assign(({ context, event }) => {
            const { lastError: _previous, ...job } = context.job;
            return {
              from: event.output.ranAt,
              job: {
                ...job,
                lastRunAt: event.output.ranAt,
                runs: job.runs + 1,
                ...(event.output.lastError ? { lastError: event.output.lastError } : {}),
              },
            };
          }),
        },
      },
    },
    rescheduling: {
      invoke: {
        src: "reschedule",
        input: ({ context }) => ({ job: context.job, from: context.from }),
        onDone: [
          { guard: ({ event }) => event.output === null, target: "finished" },
          { target: "armed", actions: assign({ job: ({ event }) => event.output! }) },
        ],
      },
    },
    finished: { type: "final" },
  },
});
