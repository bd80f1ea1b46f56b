// A divergence as a person reads it: the task, actor and seq, then where the expected and the got
// values first differ, as a path (`messages[1].content`) and the two values there, so a changed
// prompt shows as its changed message rather than two whole requests.
import type { Json } from "../toJsonSafe.ts";
import type { Divergence } from "./replayingPorts.ts";

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

const cut = (value: Json | undefined | null) => {
  const text = JSON.stringify(value ?? null);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
};

/** The divergence in a few lines: where, then expected and got at the first differing path. */
export const describeDivergence = (divergence: Divergence): string => {
  const where = firstDifference(divergence.expected, divergence.got);
  return [
    `diverged: task ${divergence.taskId}, actor ${divergence.actor}, seq ${divergence.seq} (${divergence.what}${
      divergence.traceSeq !== null ? `, trace record ${divergence.traceSeq}` : ""
    })`,
    ...(where.path !== "" ? [`  at ${where.path}`] : []),
    `  expected: ${cut(where.expected)}`,
    `  got:      ${cut(where.got)}`,
  ].join("\n");
};
