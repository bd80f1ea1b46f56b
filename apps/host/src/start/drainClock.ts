// One drain timeout for the whole stop: the console waiting for its tasks and the worker letting the
// rest settle share it, so `--drain-timeout 30s` means about 30 s in all, not 30 s per step. The
// clock also collects what the stop leaves unfinished (tasks interrupted, outcomes the store could
// not take), which decides the exit code, and says when the deadline has passed, so parts that
// would wait on an unreachable store give up then.

export interface DrainClock {
  /** Start counting (the first call wins); later calls keep the same deadline. */
  start(): void;
  /** Whether the stop has begun (start() was called). */
  readonly started: boolean;
  /** Milliseconds left until the deadline (the whole timeout before start()). */
  remainingMs(): number;
  /** Aborted once the deadline has passed (never before start()). */
  readonly expired: AbortSignal;
  /** Note work this stop leaves unfinished, in a few words ("2 running tasks interrupted"). */
  leftWork(what: string): void;
  /** What the stop has left unfinished so far. */
  readonly workLeft: readonly string[];
}

export const startDrainClock = (timeoutMs: number, now: () => number = Date.now): DrainClock => {
  let deadline: number | undefined;
  const expired = new AbortController();
  const workLeft: string[] = [];
  return {
    start() {
      if (deadline !== undefined) return;
      deadline = now() + timeoutMs;
      setTimeout(() => expired.abort(), timeoutMs).unref();
    },
    get started() {
      return deadline !== undefined;
    },
    remainingMs() {
      return deadline === undefined ? timeoutMs : Math.max(0, deadline - now());
    },
    expired: expired.signal,
    leftWork(what) {
      workLeft.push(what);
    },
    workLeft,
  };
};
