// An agent's circuit breaker as a statechart, with Akka's semantics: closed → open after
// `maxFailures` consecutive failures; open fails fast; after `resetAfter` it is half-open and lets
// exactly one probe through (half_open.waiting → half_open.probing); the probe's success closes it,
// its failure opens it again; `reset` closes it afresh (the team restarted after an escalation).
// Each agent's breaker runs as a child actor of the supervisor (`<agent>.breaker`) from its first
// move on, so the supervision tree, the visualizer and recorded traces show it; until then it rests
// in this chart's initial state (closed, nothing counted) without an actor. CircuitBreaker drives it.
import { assign, setup } from "xstate";

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
  context: ({ input }) => ({ maxFailures: input.maxFailures, failures: 0, lastFailure: undefined }),
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
