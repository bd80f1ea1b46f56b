// One status reaction per task message, kept up to date at a bounded cost. A burst of state changes
// is coalesced: only the latest wanted state is ever applied, intermediate ones are skipped, never
// queued. Each message changes at most once per `intervalMs` (the first state goes out at once),
// at most `maxInFlight` changes run at a time over all messages, and a failure or a rate-limit
// notice backs off (exponentially per message, or for everyone with `pressure`) instead of piling up.
import type { Clock } from "../time/Clock.ts";
import { systemClock } from "../time/Clock.ts";

/** Move a message's status reaction from `from` (undefined when it has none yet) to `to`. */
export type ApplyReaction = (key: string, from: string | undefined, to: string) => Promise<void>;

export interface ReactionCoalescerOptions {
  readonly apply: ApplyReaction;
  readonly clock?: Clock;
  /** Least time between the starts of two changes of one message (default 250ms). */
  readonly intervalMs?: number;
  /** Changes running at once over all messages (default 4); the others wait, still coalescing. */
  readonly maxInFlight?: number;
  /** Wait after a failed change: base · 2^(failures−1), capped (default 500ms, 30s). */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** Failed changes in a row before a message's reaction is given up on (default 5). */
  readonly maxFailures?: number;
  readonly onError?: (key: string, error: unknown, gaveUp: boolean) => void;
}

export interface ReactionStats {
  /** States asked for with `set`. */
  readonly requested: number;
  /** Changes applied (each one call to `apply`). */
  readonly applied: number;
  /** States replaced by a later one before they were applied. */
  readonly skipped: number;
  readonly failed: number;
}

interface Entry {
  shown: string | undefined;
  desired: string;
  final: boolean;
  inFlight: boolean;
  /** The state being applied while `inFlight`. */
  applying: string | undefined;
  notBefore: number;
  failures: number;
  // biome-ignore lint/suspicious/noExplicitAny: the timer handle type differs between clocks
  timer: any;
}

const newEntry = (shown: string | undefined, desired: string): Entry => ({
  shown,
  desired,
  final: false,
  inFlight: false,
  applying: undefined,
  notBefore: 0,
  failures: 0,
  timer: undefined,
});

export class ReactionCoalescer {
  readonly #apply: ApplyReaction;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #maxInFlight: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #maxFailures: number;
  readonly #onError: ReactionCoalescerOptions["onError"];
  readonly #entries = new Map<string, Entry>();
  /** Keys ready to apply, waiting for a free slot (insertion order: first come, first served). */
  readonly #ready = new Set<string>();
  #inFlight = 0;
  #pausedUntil = 0;
  #closed = false;
  #waiters: (() => void)[] = [];
  #stats = { requested: 0, applied: 0, skipped: 0, failed: 0 };

  constructor(options: ReactionCoalescerOptions) {
    this.#apply = options.apply;
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#maxInFlight = options.maxInFlight ?? 4;
    this.#baseMs = options.backoff?.baseMs ?? 500;
    this.#maxMs = options.backoff?.maxMs ?? 30_000;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#onError = options.onError;
  }

  /**
   * Want `emoji` on the message `key`. `final`: no later state will come, so the message is forgotten
   * once it shows this one.
   */
  set(key: string, emoji: string, options: { final?: boolean } = {}): void {
    if (this.#closed) return;
    this.#stats.requested += 1;
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = newEntry(undefined, emoji);
      this.#entries.set(key, entry);
    } else {
      if (entry.final) return; // the end state was set already
      // A wanted state not applied yet (and not being applied) is replaced: skipped.
      if (entry.desired !== entry.shown && entry.desired !== entry.applying) this.#stats.skipped += 1;
      entry.desired = emoji;
    }
    entry.final = options.final ?? false;
    this.#schedule(key, entry);
  }

  /**
   * The message already shows `emoji` (found after a restart): the next `set` moves it from there.
   * Ignored for a message this coalescer already tracks.
   */
  showing(key: string, emoji: string): void {
    if (this.#closed || this.#entries.has(key)) return;
    this.#entries.set(key, newEntry(emoji, emoji));
  }

  /** The surface reported a rate limit: no change starts for `ms`. */
  pressure(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#clock.now() + ms);
    for (const [key, entry] of this.#entries) this.#schedule(key, entry);
  }

  /** The reaction a message shows, as far as this coalescer knows. */
  shown(key: string): string | undefined {
    return this.#entries.get(key)?.shown;
  }

  stats(): ReactionStats {
    return { ...this.#stats };
  }

  /** Messages whose shown state is not yet the wanted one. */
  get pending(): number {
    let count = 0;
    for (const entry of this.#entries.values())
      if (entry.inFlight || entry.shown !== entry.desired) count += 1;
    return count;
  }

  /** Resolves once every message shows its wanted state (or was given up on), or `signal` aborts. */
  settled(signal?: AbortSignal): Promise<void> {
    if (this.pending === 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.push(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Stop: no change starts any more; changes running now finish on their own. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#entries.values()) this.#clearTimer(entry);
    this.#ready.clear();
    this.#wakeWaiters(true);
  }

  #clearTimer(entry: Entry): void {
    if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  #schedule(key: string, entry: Entry): void {
    if (this.#closed || entry.inFlight) return;
    if (entry.shown === entry.desired) {
      this.#ready.delete(key);
      if (entry.final) {
        this.#clearTimer(entry);
        this.#entries.delete(key);
      }
      this.#wakeWaiters();
      return;
    }
    const waitMs = Math.max(entry.notBefore, this.#pausedUntil) - this.#clock.now();
    if (waitMs > 0) {
      this.#ready.delete(key);
      this.#clearTimer(entry);
      entry.timer = this.#clock.setTimeout(() => {
        entry.timer = undefined;
        this.#schedule(key, entry);
      }, waitMs);
      return;
    }
    if (this.#inFlight >= this.#maxInFlight) {
      this.#ready.add(key);
      return;
    }
    this.#start(key, entry);
  }

  #start(key: string, entry: Entry): void {
    this.#ready.delete(key);
    this.#clearTimer(entry);
    entry.inFlight = true;
    entry.applying = entry.desired;
    this.#inFlight += 1;
    const from = entry.shown;
    const to = entry.desired;
    const startedAt = this.#clock.now();
    let result: Promise<void>;
    try {
      result = this.#apply(key, from, to);
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      () => {
        this.#stats.applied += 1;
        entry.shown = to;
        entry.failures = 0;
        entry.notBefore = startedAt + this.#intervalMs;
        this.#finish(key, entry);
      },
      (error: unknown) => {
        this.#stats.failed += 1;
        entry.failures += 1;
        const gaveUp = entry.failures >= this.#maxFailures;
        entry.notBefore = this.#clock.now() + Math.min(this.#maxMs, this.#baseMs * 2 ** (entry.failures - 1));
        if (gaveUp) {
          // Stop trying this message: it keeps whatever it shows; a later `set` tries again.
          entry.desired = entry.shown ?? to;
          entry.shown = entry.desired;
          entry.failures = 0;
        }
        this.#onError?.(key, error, gaveUp);
        this.#finish(key, entry);
      },
    );
  }

  #finish(key: string, entry: Entry): void {
    entry.inFlight = false;
    entry.applying = undefined;
    this.#inFlight -= 1;
    this.#schedule(key, entry);
    // Free slots go to the messages that waited longest.
    for (const next of this.#ready) {
      if (this.#inFlight >= this.#maxInFlight) break;
      const waiting = this.#entries.get(next);
      if (waiting) this.#schedule(next, waiting);
      else this.#ready.delete(next);
    }
    this.#wakeWaiters();
  }

  #wakeWaiters(force = false): void {
    if (!force && this.pending > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
