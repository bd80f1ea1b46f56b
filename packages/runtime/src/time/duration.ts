// Durations as people write them in configuration ("5s", "1m", "250ms", "2h") or as milliseconds.

export type Duration = number | `${number}${"ms" | "s" | "m" | "h" | "d"}`;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds of a Duration; throws a RangeError naming the bad value. */
export const toMillis = (duration: Duration, field = "duration"): number => {
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new RangeError(`${field} must be a non-negative number of milliseconds, got ${duration}`);
    }
    return duration;
  }
  const match = PATTERN.exec(duration);
  if (!match)
    throw new RangeError(`${field} must look like "250ms", "5s", "1m", "2h" or "1d", got "${duration}"`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
};

/** "1m 30s"-style text for logs and the console. */
export const formatMillis = (ms: number): string => {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m ${seconds}s`;
};
