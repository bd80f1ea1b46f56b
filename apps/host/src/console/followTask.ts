// Waiting for the end of a task the console put on the work queue. The queue's record is the truth:
// the task may run in this process or, with Redis, on another host, and be retried in between. The
// record is read again as soon as `task.recorded` (published once the queue accepted an outcome,
// here or mirrored from another host) or `task.dead_lettered` names the task, and every few seconds
// otherwise, since mirrored events may be missed. An abort ends the wait at once, even while the
// queue does not answer (Redis unreachable).
import { type EndedRecord, type EventBus, isEnded, type WorkQueue } from "@troupe/runtime";

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

export const createTaskFollower = (
  queue: WorkQueue,
  bus: EventBus,
  options: { recheckMs?: number } = {},
): TaskFollower => {
  const recheckMs = options.recheckMs ?? 2_000;
  const wakers = new Map<string, () => void>();
  const unsubscribe = bus.subscribe((event) => {
    if (event.type === "task.recorded" || event.type === "task.dead_lettered") wakers.get(event.taskId)?.();
  });

  const follow = async (taskId: string, signal: AbortSignal): Promise<EndedRecord | undefined> => {
    while (!signal.aborted) {
      // Listen before reading, so an outcome recorded in between is not missed.
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      wakers.set(taskId, wake);
      const record = await untilAborted(
        queue.record(taskId).catch(() => undefined),
        signal,
      );
      if (isEnded(record)) {
        wakers.delete(taskId);
        return record;
      }
      if (signal.aborted) break;
      const timer = setTimeout(wake, recheckMs);
      signal.addEventListener("abort", wake, { once: true });
      await woken;
      clearTimeout(timer);
      signal.removeEventListener("abort", wake);
      wakers.delete(taskId);
    }
    return undefined;
  };

  return { follow, close: unsubscribe };
};
