// Times and delays as the stores keep them: whole milliseconds. The store ports (WorkQueue,
// OutboxStore, IdempotencyStore) take any finite number — a jittered backoff is a fraction — and
// every adapter rounds at its own boundary with these helpers: up, so a retry never comes back
// early; at least 0; and at most the latest time a Date can hold, so a huge delay means "not in
// this lifetime" instead of overflowing an INTEGER column or a Redis score.

/** The latest epoch millisecond a Date can represent (8.64e15, about the year 275760). */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;

/**
 * A delay or an epoch time as whole milliseconds: rounded up, clamped to 0…MAX_EPOCH_MS. NaN, an
 * infinity or a non-number is a caller's bug: a RangeError naming `field`.
 */
export const wholeMillis = (value: number, field: string): number => {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new RangeError(`${field} must be a finite number of milliseconds, got ${String(value)}`);
  return Math.min(MAX_EPOCH_MS, Math.max(0, Math.ceil(value)));
};

/** The epoch time `delayMs` after `now`, in whole milliseconds (clamped as `wholeMillis`). */
export const dueAfter = (now: number, delayMs: number, field = "delayMs"): number =>
  Math.min(MAX_EPOCH_MS, wholeMillis(now, "now") + wholeMillis(delayMs, field));
