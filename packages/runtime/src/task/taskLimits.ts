// The limits every task meets wherever it enters (the library, a work queue, a console, a chat, a
// program that XADDs onto the Redis stream): one id pattern, so an id can never carry a newline or a
// control character into a console line or a log, and one maximum size, so a 50 MB task cannot
// swell the host or the Redis event mirror. A task over either gets an InvalidTask error saying so.
import { TroupeError } from "../errors/TroupeError.ts";

/** The default maximum size of a task's input, JSON-encoded: 1 MiB. */
export const DEFAULT_MAX_TASK_BYTES = 1_048_576;

/** At most 128 visible ASCII characters: no spaces, newlines or other control characters. */
export const TASK_ID_PATTERN = /^[!-~]{1,128}$/;

/** The same pattern for Lua (the Redis queue checks ids of entries other programs add). */
export const TASK_ID_LUA_PATTERN = "^[!-~]+$";
export const TASK_ID_MAX_LENGTH = 128;

export const TASK_ID_RULE =
  "at most 128 visible ASCII characters (no spaces, newlines or control characters)";

/** Throws InvalidTask unless `id` follows TASK_ID_PATTERN; the message quotes it escaped. */
export const checkTaskId = (id: unknown): string => {
  if (typeof id === "string" && TASK_ID_PATTERN.test(id)) return id;
  throw new TroupeError(
    "InvalidTask",
    `invalid task: its id must be ${TASK_ID_RULE}, got ${JSON.stringify(String(id).slice(0, 140))}`,
  );
};

/** A positive whole number of bytes, or RangeError naming `field`. */
export const checkMaxTaskBytes = (value: number, field = "maxTaskBytes"): number => {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${field} must be a positive whole number of bytes, got ${value}`);
  return value;
};

/** The reason a task of `bytes` bytes is refused under `maxBytes`. */
export const tooLargeReason = (bytes: number, maxBytes: number): string =>
  `the task is ${bytes} bytes, over the limit of ${maxBytes} bytes (TROUPE_MAX_TASK_BYTES)`;

/** Throws InvalidTask when `bytes` is over `maxBytes`. */
export const checkTaskBytes = (bytes: number, maxBytes: number): void => {
  if (bytes > maxBytes)
    throw new TroupeError("InvalidTask", `invalid task: ${tooLargeReason(bytes, maxBytes)}`, {
      data: { bytes, maxBytes },
    });
};

/** The size of a task input as stored (its JSON, UTF-8); Infinity when it cannot be encoded. */
export const taskInputBytes = (input: unknown): number => {
  try {
    const text = JSON.stringify(input);
    return text === undefined ? 0 : Buffer.byteLength(text, "utf8");
  } catch {
    return Number.POSITIVE_INFINITY;
  }
};

/**
 * At least the JSON bytes of an object of string fields, without encoding it: each UTF-16 unit is
 * at most 6 bytes (`\uXXXX`, or 3 of UTF-8), each field 6 more (quotes, colon, comma). Infinity for
 * anything else.
 */
const stringFieldsBound = (input: unknown): number => {
  if (typeof input !== "object" || input === null) return Number.POSITIVE_INFINITY;
  let bound = 2;
  for (const key of Object.keys(input)) {
    const value = (input as Record<string, unknown>)[key];
    if (typeof value !== "string") return Number.POSITIVE_INFINITY;
    bound += 6 * (key.length + value.length) + 6;
  }
  return bound;
};

/** Throws InvalidTask when a task input is over `maxBytes` once JSON-encoded. */
export const checkTaskSize = (input: unknown, maxBytes: number): void => {
  // A plain-text task far under the limit passes without being encoded at all.
  if (stringFieldsBound(input) <= maxBytes) return;
  // A string's UTF-8 length is at most 3 per UTF-16 unit: most inputs pass without being encoded twice.
  const text = (input as { text?: unknown } | undefined)?.text;
  if (typeof text === "string" && text.length > maxBytes)
    checkTaskBytes(Buffer.byteLength(text, "utf8"), maxBytes);
  checkTaskBytes(taskInputBytes(input), maxBytes);
};
