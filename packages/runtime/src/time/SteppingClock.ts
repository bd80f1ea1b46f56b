// A simulated clock that knows when its next timer is due, so a replay can move time to it: timers
// then fire in the order they would have on wall time (an agent's `ctx.sleep` of 100 ms before the
// task's deadline), however far a step goes.
import { SimulatedClock } from "xstate";
import type { Clock } from "./Clock.ts";

export class SteppingClock implements Clock {
  readonly #clock = new SimulatedClock();
  /** Each pending timer's due time, by its id. */
  readonly #due = new Map<number, number>();

  constructor(start: number) {
    this.#clock.set(start);
  }

  now(): number {
    return this.#clock.now();
  }

  setTimeout(fn: () => void, timeout: number): number {
    const id: number = this.#clock.setTimeout(() => {
      this.#due.delete(id);
      fn();
    }, timeout);
    this.#due.set(id, this.#clock.now() + timeout);
    return id;
  }

  clearTimeout(id: number): void {
    this.#due.delete(id);
    this.#clock.clearTimeout(id);
  }

  /** Move time to the next timer due (firing it and any due with it), but at most `maxMs` on. */
  advance(maxMs: number): void {
    let next = this.#clock.now() + maxMs;
    for (const due of this.#due.values()) if (due < next) next = due;
    this.#clock.set(Math.max(this.#clock.now(), next));
  }
}
