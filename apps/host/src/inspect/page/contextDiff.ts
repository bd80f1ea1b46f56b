// What changed between two JSON values (a context before and after an event), as a list of paths
// with the old and the new value. Small and pure; the details panel prints it.

export interface DiffEntry {
  readonly path: string;
  readonly change: "added" | "removed" | "changed";
  readonly before?: unknown;
  readonly after?: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Differences between `before` and `after`, depth first; arrays compare as whole values. */
export const contextDiff = (
  before: unknown,
  after: unknown,
  path = "",
  out: DiffEntry[] = [],
): DiffEntry[] => {
  if (isObject(before) && isObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const at = path === "" ? key : `${path}.${key}`;
      if (!(key in before)) out.push({ path: at, change: "added", after: after[key] });
      else if (!(key in after)) out.push({ path: at, change: "removed", before: before[key] });
      else contextDiff(before[key], after[key], at, out);
    }
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    out.push({ path: path === "" ? "(whole)" : path, change: "changed", before, after });
  }
  return out;
};
