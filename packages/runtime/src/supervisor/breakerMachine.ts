// An agent's circuit breaker as a statechart, with Akka's semantics: closed → open after
// `maxFailures` consecutive failures; open fails fast; after `resetAfter` it is half-open and lets
// exactly one probe through (half_open.waiting → half_open.probing); the probe's success closes it,
// its failure opens it again; `reset` closes it afresh (the team restarted after an escalation).
// Each agent's breaker runs as a child actor of the supervisor (`<agent>.breaker`), so the
// supervision tree, the visualizer and recorded traces show it; CircuitBreaker drives it. Breakers
// are spawned as `breakerLogic`: the same chart, every breaker of a failure limit starting from one
// shared initial snapshot, since most breakers never move (it is a third of an idle breaker's heap).
import { assign, setup } from "xstate";
import { sharingInitialSnapshot } from "../internal/sharingInitialSnapshot.ts";

export type BreakerEvent =
  | { type: "dispatched" }
  | { type: "succeeded" }
  | { type: "failed"; reason: string | undefined }
  | { type: "resetElapsed" }
  | { type: "reset" };

export interface BreakerContext {
  readonly maxFailures: number;
  readonly failures: number;
  readonly lastFailure: string | undefined;
}

/** One context per failure limit: breakers of the same limit share their whole initial snapshot. */
const closedContexts = new Map<number, BreakerContext>();
const closedContext = (maxFailures: number): BreakerContext => {
  let context = closedContexts.get(maxFailures);
  if (!context) {
    context = { maxFailures, failures: 0, lastFailure: undefined };
    closedContexts.set(maxFailures, context);
  }
  return context;
};

export const breakerMachine = setup({
  types: {
    input: {} as { maxFailures: number },
    context: {} as BreakerContext,
    events: {} as BreakerEvent,
  },
  guards: {
    reachesLimit: ({ context }) => context.failures + 1 >= context.maxFailures,
  },
  actions: {
    countFailure: assign(({ context, event }) => ({
      failures: context.failures + 1,
      lastFailure: event.type === "failed" ? event.reason : context.lastFailure,
    })),
    clearFailures: assign({ failures: 0 }),
  },
}).createMachine({
  id: "breaker",
  context: ({ input }) => closedContext(input.maxFailures),
  initial: "closed",
  on: {
    // A task that was already running when the breaker opened may still succeed: it closes it.
    succeeded: { target: ".closed", actions: "clearFailures" },
    reset: { target: ".closed", actions: "clearFailures" },
  },
  states: {
    closed: {
      on: {
        succeeded: { actions: "clearFailures" },
        failed: [
          { guard: "reachesLimit", target: "open", actions: "countFailure" },
          { actions: "countFailure" },
        ],
      },
    },
    open: {
      on: { failed: { actions: "countFailure" }, resetElapsed: "half_open" },
    },
    half_open: {
      initial: "waiting",
      on: { failed: { target: "open", actions: "countFailure" } },
      states: {
        waiting: { on: { dispatched: "probing" } },
        probing: {},
      },
    },
  },
});

/** `breakerMachine` as spawned: its own chart and moves, its initial snapshot shared. */
export const breakerLogic = sharingInitialSnapshot(breakerMachine, ({ maxFailures }) =>
  closedContext(maxFailures),
);
