// A per-user limit on new tasks (a token bucket per user), so one person or a runaway script cannot
// fill the team's queue from a chat channel. It also says when a refused person was last told so:
// the bridge tells each person at most once per window, and only reacts on their other messages.
import type { Clock } from "../time/Clock.ts";
import { systemClock } from "../time/Clock.ts";

export class UserRateLimit {
  readonly #capacity: number;
  readonly #refillMs: number;
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #buckets = new Map<string, { tokens: number; at: number; toldAt?: number }>();

  /** `tasks` new tasks per `perMs` for each user, in bursts of up to `tasks`. */
  constructor(options: { tasks: number; perMs: number; clock?: Clock }) {
    this.#capacity = options.tasks;
    this.#refillMs = options.perMs / options.tasks;
    this.#windowMs = options.perMs;
    this.#clock = options.clock ?? systemClock;
  }

  /** 0 when the user may start a task now (and it is counted); otherwise the milliseconds to wait. */
  take(user: string): number {
    const now = this.#clock.now();
    const bucket = this.#buckets.get(user) ?? { tokens: this.#capacity, at: now };
    bucket.tokens = Math.min(this.#capacity, bucket.tokens + (now - bucket.at) / this.#refillMs);
    bucket.at = now;
    this.#buckets.set(user, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      if (this.#buckets.size > 10_000) this.#forgetFull(now);
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) * this.#refillMs);
  }

  /** True the first time in a window that `user` is refused: then, and only then, tell them in words. */
  firstRefusalInWindow(user: string): boolean {
    const now = this.#clock.now();
    const bucket = this.#buckets.get(user);
    if (!bucket || (bucket.toldAt !== undefined && now - bucket.toldAt < this.#windowMs)) return false;
    bucket.toldAt = now;
    return true;
  }

  #forgetFull(now: number): void {
    for (const [user, bucket] of this.#buckets)
      if (bucket.tokens + (now - bucket.at) / this.#refillMs >= this.#capacity) this.#buckets.delete(user);
  }
}
