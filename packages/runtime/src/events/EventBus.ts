// Typed, in-process publish/subscribe of runtime events: the seam every bridge (console,
// metrics, inspector, Redis, Discord) attaches to. A subscriber that throws is reported and
// isolated; it never breaks the publisher or the other subscribers.
import type { Clock } from "../time/Clock.ts";
import { systemClock } from "../time/Clock.ts";
import type { RuntimeEvent, RuntimeEventInput, RuntimeEventOf, RuntimeEventType } from "./catalogue.ts";

export type Listener<E = RuntimeEvent> = (event: E) => void;

export class EventBus {
  readonly #listeners = new Set<Listener>();
  readonly #clock: Clock;
  readonly #onListenerError: (error: unknown, event: RuntimeEvent) => void;

  constructor(
    options: { clock?: Clock; onListenerError?: (error: unknown, event: RuntimeEvent) => void } = {},
  ) {
    this.#clock = options.clock ?? systemClock;
    this.#onListenerError =
      options.onListenerError ??
      ((error) =>
        queueMicrotask(() => {
          throw error;
        }));
  }

  /**
   * Stamp and deliver an event to every subscriber, synchronously and in subscription order.
   * The input object becomes the event (stamped in place, not copied): pass a fresh object.
   */
  publish(input: RuntimeEventInput): RuntimeEvent {
    const event = input as RuntimeEvent;
    (event as { at: number }).at = this.#clock.now();
    this.deliver(event);
    return event;
  }

  /** Deliver an already-stamped event (for bridges replaying events from elsewhere). */
  deliver(event: RuntimeEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  /** Every event; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Events of one type, typed by that type. */
  on<T extends RuntimeEventType>(type: T, listener: Listener<RuntimeEventOf<T>>): () => void {
    return this.subscribe((event) => {
      if (event.type === type) listener(event as RuntimeEventOf<T>);
    });
  }

  /** The first event matching `predicate`, or an AbortError/TimeoutError from the signal. */
  waitFor<E extends RuntimeEvent = RuntimeEvent>(
    predicate: (event: RuntimeEvent) => event is E,
    signal?: AbortSignal,
  ): Promise<E>;
  waitFor(predicate: (event: RuntimeEvent) => boolean, signal?: AbortSignal): Promise<RuntimeEvent>;
  waitFor(predicate: (event: RuntimeEvent) => boolean, signal?: AbortSignal): Promise<RuntimeEvent> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const stop = () => {
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        stop();
        reject(signal?.reason);
      };
      const unsubscribe = this.subscribe((event) => {
        if (!predicate(event)) return;
        stop();
        resolve(event);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** An async iterator over events matching `filter`, ending when `signal` aborts or `until` matches. */
  async *stream(
    options: {
      filter?: (event: RuntimeEvent) => boolean;
      until?: (event: RuntimeEvent) => boolean;
      signal?: AbortSignal;
    } = {},
  ): AsyncGenerator<RuntimeEvent> {
    const buffer: RuntimeEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const unsubscribe = this.subscribe((event) => {
      if (done || (options.filter && !options.filter(event))) return;
      buffer.push(event);
      if (options.until?.(event)) done = true;
      wake?.();
    });
    const onAbort = () => {
      done = true;
      wake?.();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      while (true) {
        const next = buffer.shift();
        if (next) {
          yield next;
          continue;
        }
        if (done || options.signal?.aborted) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      unsubscribe();
      options.signal?.removeEventListener("abort", onAbort);
    }
  }
}
