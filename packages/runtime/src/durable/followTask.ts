// Following a task on the work queue to its outcome: the one implementation the slash commands and
// the surface bridge share (on Discord and on the host's console alike), so that no task is ever left without its reply. The queue's
// record is the truth: the task may run in this process or, with Redis, on another host, and be
// retried in between. The record is read again as soon as `task.recorded` (published once the queue
// accepted an outcome, here or mirrored from another host) or `task.dead_lettered` names the task,
// and every few seconds otherwise, since pub/sub is at-most-once and an event may be missed; a record
// that cannot be read (Redis unreachable) is read again at the next re-check. An abort ends the wait
// at once, even while the queue does not answer.
import type { EventBus } from "../events/EventBus.ts";
import { type EndedRecord, isEnded, type WorkQueue } from "./WorkQueue.ts";

export interface TaskFollower {
  /** The task's final record, or undefined once `signal` aborts first. */
  follow(taskId: string, signal: AbortSignal): Promise<EndedRecord | undefined>;
  /** Stop listening to the bus. */
  close(): void;
}

/** `work`'s value, or undefined as soon as `signal` aborts. */
const untilAborted = <T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    void work.then((value) => {
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    });
  });

/** How often a followed task's record is read again when no event named it (default 2 s). */
export const DEFAULT_RECHECK_MS = 2_000;

export const createTaskFollower = (
  queue: Pick<WorkQueue, "record">,
  bus: EventBus,
  options: { readonly recheckMs?: number } = {},
): TaskFollower => {
  const recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  /** Task id → the wake-ups of its followers (a task may be followed twice, by two callers). */
  const wakers = new Map<string, Set<() => void>>();
  const unsubscribe = bus.subscribe((event) => {
    if (event.type === "task.recorded" || event.type === "task.dead_lettered")
      for (const wake of wakers.get(event.taskId) ?? []) wake();
  });
  const listen = (taskId: string, wake: () => void) => {
    const set = wakers.get(taskId) ?? new Set();
    set.add(wake);
    wakers.set(taskId, set);
    return () => {
      set.delete(wake);
      if (set.size === 0 && wakers.get(taskId) === set) wakers.delete(taskId);
    };
  };

  const follow = async (taskId: string, signal: AbortSignal): Promise<EndedRecord | undefined> => {
    while (!signal.aborted) {
      // Listen before reading, so an outcome recorded in between is not missed.
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const stopListening = listen(taskId, wake);
      const record = await untilAborted(
        queue.record(taskId).catch(() => undefined),
        signal,
      );
      if (isEnded(record)) {
        stopListening();
        return record;
      }
      if (signal.aborted) {
        stopListening();
        break;
      }
      const timer = setTimeout(wake, recheckMs);
      signal.addEventListener("abort", wake, { once: true });
      await woken;
      clearTimeout(timer);
      signal.removeEventListener("abort", wake);
      stopListening();
    }
    return undefined;
  };

  return { follow, close: unsubscribe };
};
