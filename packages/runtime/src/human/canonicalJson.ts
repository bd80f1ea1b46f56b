// The one text of a value that an approval is bound to: JSON with object keys sorted at every depth,
// so `{a, b}` and `{b, a}` hash alike and any change to the action changes the hash. Values JSON
// cannot carry faithfully (functions, symbols, bigints, non-finite numbers, cycles) are refused.
import { TroupeError } from "../errors/TroupeError.ts";

const refuse = (path: string, what: string): never => {
  throw new TroupeError(
    "InvalidAction",
    `the action to approve holds ${what} at ${path}: use plain JSON values`,
    {
      data: { path },
    },
  );
};

const write = (value: unknown, path: string, seen: Set<object>): string => {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : refuse(path, `the number ${value}`);
    case "object":
      break;
    default:
      return refuse(path, `a ${typeof value}`);
  }
  const object = value as object;
  if (seen.has(object)) return refuse(path, "a cycle");
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${object.map((item, index) => write(item === undefined ? null : item, `${path}[${index}]`, seen)).join(",")}]`;
    }
    const withToJson = object as { toJSON?: () => unknown };
    if (typeof withToJson.toJSON === "function") return write(withToJson.toJSON(), path, seen);
    const entries = Object.entries(object)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${write(item, `${path}.${key}`, seen)}`).join(",")}}`;
  } finally {
    seen.delete(object);
  }
};

/** Canonical JSON of `value` (sorted keys, no whitespace); throws `InvalidAction` on what JSON cannot carry. */
export const canonicalJson = (value: unknown): string => {
  if (value === undefined) return refuse("$", "undefined");
  return write(value, "$", new Set());
};
