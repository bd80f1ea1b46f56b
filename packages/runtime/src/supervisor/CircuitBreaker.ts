// An agent's circuit breaker as the supervisor's hot path reads it: a running actor of
// `breakerMachine` (the chart, Akka semantics), stepped by sending it events — an actor processes an
// event synchronously when nothing else is in its mailbox, so dispatch reads the new state at once —
// and each change of state reported. A clean success while closed sends nothing, and the state the
// hot path reads on every dispatch is kept from the snapshot after each step.
import { type ActorRefFrom, createActor, type SnapshotFrom } from "xstate";
import type { BreakerState } from "../events/catalogue.ts";
import { type BreakerEvent, breakerLogic, type breakerMachine } from "./breakerMachine.ts";

export type BreakerActor = ActorRefFrom<typeof breakerMachine>;

export interface BreakerTransition {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly failures: number;
}

type BreakerSnapshot = SnapshotFrom<typeof breakerMachine>;

const stateOf = (snapshot: BreakerSnapshot): BreakerState =>
  typeof snapshot.value === "string" ? snapshot.value : "half_open";

const allowsDispatch = (snapshot: BreakerSnapshot): boolean =>
  snapshot.matches("closed") || snapshot.matches({ half_open: "waiting" });

/** The id of an agent's breaker actor among the supervisor's children: `research.breaker`. */
export const breakerIdOf = (agent: string): string => `${agent}.breaker`;

export class CircuitBreaker {
  readonly #actor: BreakerActor;
  /** The actor's state as dispatch reads it, taken from its snapshot after each step. */
  #state: BreakerState;
  #allowsDispatch: boolean;

  /** `actor`: a breaker actor, spawned by the supervisor (or `standaloneBreaker`). */
  constructor(actor: BreakerActor) {
    this.#actor = actor;
    this.#state = stateOf(actor.getSnapshot());
    this.#allowsDispatch = allowsDispatch(actor.getSnapshot());
  }

  get maxFailures(): number {
    return this.#actor.getSnapshot().context.maxFailures;
  }

  get state(): BreakerState {
    return this.#state;
  }

  get failures(): number {
    return this.#actor.getSnapshot().context.failures;
  }

  /** Why the last failure failed, to say why the breaker is open. */
  get lastFailure(): string | undefined {
    return this.#actor.getSnapshot().context.lastFailure;
  }

  /** Whether a task may be dispatched now: closed, or half-open with its probe not yet sent. */
  get allowsDispatch(): boolean {
    return this.#allowsDispatch;
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

  /** Closed afresh with nothing counted (the team restarted after an escalation). */
  reset(): BreakerTransition | undefined {
    if (this.state === "closed" && this.failures === 0) return undefined;
    return this.#step({ type: "reset" });
  }

  #step(event: BreakerEvent): BreakerTransition | undefined {
    const from = this.#state;
    this.#actor.send(event);
    const snapshot = this.#actor.getSnapshot();
    this.#state = stateOf(snapshot);
    this.#allowsDispatch = allowsDispatch(snapshot);
    const to = this.#state;
    return from === to ? undefined : { from, to, failures: this.failures };
  }
}

/** A breaker outside any supervisor (a notifier sink's): an actor of its own. */
export const standaloneBreaker = (maxFailures: number): CircuitBreaker =>
  new CircuitBreaker(createActor(breakerLogic, { input: { maxFailures } }).start());
