// What the store contract suites draw with fast-check: ids as odd as callers make them (any
// printable unicode, colons, slashes, glob and LIKE characters, long ones), payloads from empty to
// a megabyte, delays that are fractions, zero or huge, and JSON values of any shape — so a whole
// class of bug (a fraction in an INTEGER column, a slash in an id, a `%` in a prefix) is caught,
// not just the one example a hand-written test thought of.
import fc from "fast-check";
import type { TaskInput } from "../task/Task.ts";

/** One character of an id: a printable grapheme, or one that means something to a store. */
const idUnit = fc.oneof(
  fc.constantFrom(":", "/", "\\", "*", "?", "[", "]", "%", "_", " ", "-", ".", "'", '"'),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
);

/** A non-empty id: usually short, sometimes a thousand characters. */
export const oddId = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: idUnit, minLength: 1, maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: idUnit, minLength: 200, maxLength: 1_000 }) },
);

/** A task id: any id the task id pattern allows (visible ASCII, 1 to 128), store-special characters included. */
export const taskId = fc.string({
  unit: fc.oneof(
    fc.constantFrom(":", "/", "\\", "*", "?", "[", "]", "%", "_", "-", ".", "'", '"'),
    fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
  ),
  minLength: 1,
  maxLength: 128,
});

/** An id the task id pattern refuses: a space, a newline or another control character in it, or too long. */
export const offPatternTaskId = fc.oneof(
  fc
    .tuple(taskId, fc.constantFrom(" ", "\n", "\r", "\t", "\u0000", "\u001b[2K", "\u2028"), taskId)
    .map(([a, bad, b]) => `${a}${bad}${b}`),
  fc.string({ unit: "grapheme-ascii", minLength: 129, maxLength: 300 }),
  fc.constant(""),
);

/** A name as odd as an id but without "/", the separator of delivery ids (a sink's name). */
export const oddName = oddId.map((id) => id.replaceAll("/", "|"));

/** Text from empty to about a megabyte (UTF-8 bytes), mostly small. */
export const payloadText = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: "grapheme", maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 500_000 }).map((n) => "ж".repeat(n)) },
);

/** A JSON value as JSON keeps it (fast-check may draw -0, which JSON writes as 0). */
export const jsonValue = fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.parse(JSON.stringify(value)));

/** A task's input with any of its fields. */
export const taskInput: fc.Arbitrary<TaskInput> = fc.record(
  {
    text: payloadText,
    input: jsonValue,
    agent: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
    channel: oddId,
    needs: fc.array(fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }), { maxLength: 3 }),
    notes: fc.array(payloadText, { maxLength: 2 }),
  },
  { requiredKeys: ["text"] },
);

/**
 * A delay a retry comes back after within a test: zero, a few milliseconds with a fraction (as a
 * jittered backoff makes them), or any double up to 5 ms.
 */
export const shortDelayMs = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 5_000 }).map((micros) => micros / 1_000),
  fc.double({ min: 0, max: 5, noNaN: true, noDefaultInfinity: true }),
);

/** A delay no test outlives: a day up to the largest double. */
export const farDelayMs = fc.oneof(
  fc.double({ min: 86_400_000, max: 1e300, noNaN: true, noDefaultInfinity: true }),
  fc.constant(Number.MAX_VALUE),
  fc.constant(Number.MAX_SAFE_INTEGER),
);

/** Contract properties run a few dozen times: enough to find a class of bug, quick on every adapter. */
export const PROPERTY_RUNS = { numRuns: 20 } as const;
