// One drain timeout for the whole stop: the console waiting for its tasks and the worker letting the
// rest settle share it, so `--drain-timeout 30s` means about 30 s in all, not 30 s per step.

export interface DrainClock {
  /** Start counting (the first call wins); later calls keep the same deadline. */
  start(): void;
  /** Milliseconds left until the deadline (the whole timeout before start()). */
  remainingMs(): number;
}

export const startDrainClock = (timeoutMs: number, now: () => number = Date.now): DrainClock => {
  let deadline: number | undefined;
  return {
    start() {
      deadline ??= now() + timeoutMs;
    },
    remainingMs() {
      return deadline === undefined ? timeoutMs : Math.max(0, deadline - now());
    },
  };
};
