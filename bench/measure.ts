// What every benchmark shares: the figure it reports (a ratio against a raw baseline measured in
// the same run), medians, a monotonic stopwatch, heap readings after a full GC, a count of messages
// that fails when they stop coming, and progress lines on stderr so stdout carries only the figures.

export interface Figure {
  readonly name: string;
  /** Troupe's number divided by the raw baseline's. */
  readonly ratio: number;
  /** The goal, as printed: "≥ 0.5", "≤ 1.5". */
  readonly goal: string;
  readonly met: boolean;
}

export const figure = (
  name: string,
  ratio: number,
  goal: { atLeast: number } | { atMost: number },
): Figure =>
  "atLeast" in goal
    ? { name, ratio, goal: `≥ ${goal.atLeast}`, met: ratio >= goal.atLeast }
    : { name, ratio, goal: `≤ ${goal.atMost}`, met: ratio <= goal.atMost };

export const median = (values: readonly number[]): number => {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The value at `fraction` (0.99 for p99) of `values`, nearest rank. */
export const percentile = (values: readonly number[], fraction: number): number => {
  if (values.length === 0) throw new RangeError("percentile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
};

/** Milliseconds `work` took, on the monotonic clock. */
export const timeMs = async (work: () => Promise<unknown>): Promise<number> => {
  const startedAt = performance.now();
  await work();
  return performance.now() - startedAt;
};

/** heapUsed after full collections; needs `node --expose-gc`. */
export const settledHeap = async (): Promise<number> => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("the heap benchmark needs `node --expose-gc` (use `npm run bench`)");
  // Let finished promises and timers drop their references before collecting.
  for (let round = 0; round < 3; round += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    gc();
  }
  return process.memoryUsage().heapUsed;
};

/** A progress line on stderr. */
export const progress = (line: string): void => {
  process.stderr.write(`  … ${line}\n`);
};

/**
 * Counts messages as they arrive, and waits until `target` have since the last `reset`. It fails
 * instead of waiting forever when none arrived for `stallMs`: Redis closes a subscriber that falls
 * too far behind (`client-output-buffer-limit pubsub`), and what was published meanwhile is lost.
 */
export const arrivals = (what: string, stallMs = 10_000) => {
  let count = 0;
  let wake: (() => void) | undefined;
  return {
    arrived: () => {
      count += 1;
      wake?.();
    },
    reset: () => {
      count = 0;
    },
    waitFor: async (target: number): Promise<void> => {
      while (count < target) {
        const before = count;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, stallMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (count === before)
          throw new Error(
            `${what}: ${count} of ${target} messages arrived, then none for ${stallMs / 1_000} s (did Redis drop a slow subscriber?)`,
          );
      }
    },
  };
};
