// An agent's circuit breaker as the supervisor's hot path reads it: an actor of `breakerMachine`
// (the chart, Akka semantics), stepped by sending it events — an actor processes an event
// synchronously when nothing else is in its mailbox, so dispatch reads the new state at once — and
// each change of state reported. A breaker rests until it first has to move: closed with nothing
// counted is the chart's initial state, so until its first failure it has no actor and reads that
// state from the chart; the failure starts the actor, which then takes every event. A clean success
// while closed sends nothing, and the state the hot path reads on every dispatch is kept from the
// snapshot after each step.
import { type ActorRefFrom, createActor, getInitialSnapshot, type SnapshotFrom } from "xstate";
import type { BreakerState } from "../events/catalogue.ts";
import { type BreakerEvent, breakerMachine } from "./breakerMachine.ts";

export type BreakerActor = ActorRefFrom<typeof breakerMachine>;

type BreakerSnapshot = SnapshotFrom<typeof breakerMachine>;

/** Starts the actor of `agent`'s breaker when it first has to move (the supervisor's child, or one of its own). */
export type StartBreaker = (agent: string, maxFailures: number) => BreakerActor;

export interface BreakerTransition {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly failures: number;
}

const stateOf = (snapshot: BreakerSnapshot): BreakerState =>
  typeof snapshot.value === "string" ? snapshot.value : "half_open";

const allowsDispatch = (snapshot: BreakerSnapshot): boolean =>
  snapshot.matches("closed") || snapshot.matches({ half_open: "waiting" });

/** The id of an agent's breaker actor among the supervisor's children: `research.breaker`. */
export const breakerIdOf = (agent: string): string => `${agent}.breaker`;

export class CircuitBreaker {
  readonly agent: string;
  readonly maxFailures: number;
  readonly #start: StartBreaker;
  /** Undefined while the breaker rests in the chart's initial state. */
  #actor: BreakerActor | undefined;
  /** The actor's state as dispatch reads it, taken from its snapshot after each step. */
  #state: BreakerState = "closed";
  #allowsDispatch = true;

  constructor(agent: string, maxFailures: number, start: StartBreaker) {
    this.agent = agent;
    this.maxFailures = maxFailures;
    this.#start = start;
  }

  /** Its actor, or undefined while it rests (closed, nothing counted, never moved). */
  get actor(): BreakerActor | undefined {
    return this.#actor;
  }

  /** Its actor's snapshot, or the chart's initial one while it rests. */
  getSnapshot(): BreakerSnapshot {
    return (
      this.#actor?.getSnapshot() ?? getInitialSnapshot(breakerMachine, { maxFailures: this.maxFailures })
    );
  }

  get state(): BreakerState {
    return this.#state;
  }

  get failures(): number {
    return this.#actor?.getSnapshot().context.failures ?? 0;
  }

  /** Why the last failure failed, to say why the breaker is open. */
  get lastFailure(): string | undefined {
    return this.#actor?.getSnapshot().context.lastFailure;
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
    this.#actor ??= this.#start(this.agent, this.maxFailures);
    this.#actor.send(event);
    const snapshot = this.#actor.getSnapshot();
    this.#state = stateOf(snapshot);
    this.#allowsDispatch = allowsDispatch(snapshot);
    const to = this.#state;
    return from === to ? undefined : { from, to, failures: this.failures };
  }
}

/** A breaker outside any supervisor (a notifier sink's): an actor of its own once it moves. */
export const standaloneBreaker = (maxFailures: number): CircuitBreaker =>
  new CircuitBreaker("", maxFailures, () => createActor(breakerMachine, { input: { maxFailures } }).start());
