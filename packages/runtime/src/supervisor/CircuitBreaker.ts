// A circuit breaker per agent, with Akka's semantics: closed → open after `maxFailures`
// consecutive failures; open fails fast; after `resetAfter` it is half-open and lets exactly one
// probe through; the probe's success closes it, its failure opens it again.
import type { BreakerState } from "../events/catalogue.ts";

export interface BreakerTransition {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly failures: number;
}

export class CircuitBreaker {
  #state: BreakerState = "closed";
  #failures = 0;
  #probeInFlight = false;
  #lastFailure: string | undefined;

  readonly maxFailures: number;

  constructor(maxFailures: number) {
    this.maxFailures = maxFailures;
  }

  get state(): BreakerState {
    return this.#state;
  }

  get failures(): number {
    return this.#failures;
  }

  /** Why the last failure failed, to say why the breaker is open. */
  get lastFailure(): string | undefined {
    return this.#lastFailure;
  }

  /** Whether a task may be dispatched now. */
  get allowsDispatch(): boolean {
    return this.#state === "closed" || (this.#state === "half_open" && !this.#probeInFlight);
  }

  /** A task was dispatched; in half-open it is the one probe. */
  dispatched(): void {
    if (this.#state === "half_open") this.#probeInFlight = true;
  }

  succeeded(): BreakerTransition | undefined {
    this.#failures = 0;
    return this.#state === "closed" ? undefined : this.#move("closed");
  }

  /** A failure; returns the transition to `open` when this failure opens the breaker. */
  failed(reason?: string): BreakerTransition | undefined {
    this.#failures += 1;
    this.#lastFailure = reason;
    if (this.#state === "half_open") return this.#move("open");
    if (this.#state === "closed" && this.#failures >= this.maxFailures) return this.#move("open");
    return undefined;
  }

  /** The reset timeout has passed: open → half-open. */
  resetTimeoutElapsed(): BreakerTransition | undefined {
    return this.#state === "open" ? this.#move("half_open") : undefined;
  }

  #move(to: BreakerState): BreakerTransition {
    const from = this.#state;
    this.#state = to;
    this.#probeInFlight = false;
    return { from, to, failures: this.#failures };
  }
}
