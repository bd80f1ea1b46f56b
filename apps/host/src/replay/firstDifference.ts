// Where two JSON values first differ, as a path (`messages[1].content`) and the two values there,
// so a divergence shows the changed line of a prompt rather than two whole requests.
import type { Json } from "@troupe/runtime";

export interface Difference {
  /** "" when the values differ as a whole (or are equal). */
  readonly path: string;
  readonly expected: Json | null;
  readonly got: Json | null;
}

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const firstDifference = (expected: Json | null, got: Json | null, path = ""): Difference => {
  if (Array.isArray(expected) && Array.isArray(got)) {
    for (let i = 0; i < Math.max(expected.length, got.length); i += 1)
      if (JSON.stringify(expected[i]) !== JSON.stringify(got[i]))
        return firstDifference(expected[i] ?? null, got[i] ?? null, `${path}[${i}]`);
  } else if (isObject(expected) && isObject(got)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(got)]))
      if (JSON.stringify(expected[key]) !== JSON.stringify(got[key]))
        return firstDifference(expected[key] ?? null, got[key] ?? null, path === "" ? key : `${path}.${key}`);
  }
  return { path, expected, got };
};
