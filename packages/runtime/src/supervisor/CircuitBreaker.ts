// An agent's circuit breaker for the supervisor's hot path: it steps `breakerMachine` (the chart,
// Akka semantics) with xstate's pure `transition` and reports each change of state, so dispatch reads
// the state synchronously without an actor round trip.
import { initialTransition, type SnapshotFrom, transition } from "xstate";
import type { BreakerState } from "../events/catalogue.ts";
import { type BreakerEvent, breakerMachine } from "./breakerMachine.ts";

export interface BreakerTransition {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly failures: number;
}

const stateOf = (snapshot: SnapshotFrom<typeof breakerMachine>): BreakerState =>
  typeof snapshot.value === "string" ? snapshot.value : "half_open";

export class CircuitBreaker {
  #snapshot: SnapshotFrom<typeof breakerMachine>;

  constructor(maxFailures: number) {
    this.#snapshot = initialTransition(breakerMachine, { maxFailures })[0];
  }

  get maxFailures(): number {
    return this.#snapshot.context.maxFailures;
  }

  get state(): BreakerState {
    return stateOf(this.#snapshot);
  }

  get failures(): number {
    return this.#snapshot.context.failures;
  }

  /** Why the last failure failed, to say why the breaker is open. */
  get lastFailure(): string | undefined {
    return this.#snapshot.context.lastFailure;
  }

  /** Whether a task may be dispatched now: closed, or half-open with its probe not yet sent. */
  get allowsDispatch(): boolean {
    return this.#snapshot.matches("closed") || this.#snapshot.matches({ half_open: "waiting" });
  }

  /** A task was dispatched; in half-open it is the one probe. */
  dispatched(): void {
    if (this.state === "half_open") this.#step({ type: "dispatched" });
  }

  succeeded(): BreakerTransition | undefined {
    // The common case, a success while closed with nothing counted, changes nothing.
    if (this.state === "closed" && this.failures === 0) return undefined;
    return this.#step({ type: "succeeded" });
  }

  /** A failure; returns the transition to `open` when this failure opens the breaker. */
  failed(reason?: string): BreakerTransition | undefined {
    return this.#step({ type: "failed", reason });
  }

  /** The reset timeout has passed: open → half-open. */
  resetTimeoutElapsed(): BreakerTransition | undefined {
    return this.#step({ type: "resetElapsed" });
  }

  #step(event: BreakerEvent): BreakerTransition | undefined {
    const from = this.state;
    this.#snapshot = transition(breakerMachine, this.#snapshot, event)[0];
    const to = this.state;
    return from === to ? undefined : { from, to, failures: this.failures };
  }
}
