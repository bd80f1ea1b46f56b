// What the Redis event mirror publishes of an event that carries a large text (a task's input, an
// output, a reason): Redis closes a subscriber whose unread messages pass its client output buffer
// limit (pub/sub: 32 MB, or 8 MB for a minute), which would cut every host's mirror at once. So a
// string over MIRROR_FIELD_CHARS is cut there with a marker saying how much was left out; the full
// text stays where the task lives (its record in the work queue). An event still over
// MIRROR_PAYLOAD_BYTES once cut (huge structures) is not mirrored at all.
import type { RuntimeEvent } from "../events/catalogue.ts";

/** The longest string an event carries onto Redis. */
export const MIRROR_FIELD_CHARS = 8_192;
/** The largest payload the mirror publishes. */
export const MIRROR_PAYLOAD_BYTES = 256 * 1_024;

const cutText = (text: string): string =>
  text.length <= MIRROR_FIELD_CHARS
    ? text
    : `${text.slice(0, MIRROR_FIELD_CHARS)}… [cut: ${text.length - MIRROR_FIELD_CHARS} more characters; the full text is in the task record]`;

const cut = (value: unknown): unknown => {
  if (typeof value === "string") return cutText(value);
  if (Array.isArray(value)) return value.map(cut);
  if (value !== null && typeof value === "object") {
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) copy[key] = cut(field);
    return copy;
  }
  return value;
};

/**
 * The JSON of `event` as the mirror publishes it: as is when small, with long strings cut when not,
 * undefined when it is too large even then.
 */
export const mirrorEventJson = (event: RuntimeEvent): string | undefined => {
  const whole = JSON.stringify(event);
  if (whole.length <= MIRROR_FIELD_CHARS) return whole;
  const fitted = JSON.stringify(cut(event));
  return Buffer.byteLength(fitted, "utf8") <= MIRROR_PAYLOAD_BYTES ? fitted : undefined;
};
