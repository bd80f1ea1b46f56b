// Turns whatever an actor holds (contexts with class instances, ports, AbortSignals, functions,
// cyclic graphs, megabyte strings) into a bounded JSON value for a trace. It never throws and never
// walks into class instances: a SupervisorCore becomes "[object SupervisorCore]", a signal
// "[object AbortSignal]", an actor "[actor x:1]". Output size is held near `maxBytes`.
import type { Schema } from "effect";

export type Json = Schema.Json;

/** Called for every value on its way into a record; what it returns is written instead. */
export type Redact = (path: readonly string[], value: unknown) => unknown;

export interface JsonSafeOptions {
  /**
   * About how much JSON text the value may take, counted in UTF-16 code units (bytes, for ASCII).
   * Past it, strings are cut and arrays and objects end with a "…truncated" marker.
   */
  readonly maxBytes: number;
  readonly redact?: Redact | undefined;
}

/** The marker key an object gets when its remaining keys were cut. */
export const TRUNCATED_KEY = "…";

const tagOf = (value: object): string => {
  try {
    if (typeof (value as { sessionId?: unknown }).sessionId === "string") {
      return `[actor ${(value as { sessionId: string }).sessionId}]`;
    }
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor
      ?.name;
    return `[object ${typeof name === "string" && name !== "" ? name : "Object"}]`;
  } catch {
    return "[object]";
  }
};

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * A JSON-safe copy of `value`. `path` is where the value sits in its record (for `redact`), e.g.
 * ["context"]; keys below it are appended as the walk goes down.
 */
export const toJsonSafe = (value: unknown, path: readonly string[], options: JsonSafeOptions): Json => {
  const { redact } = options;
  let budget = options.maxBytes;
  const trail = [...path];
  const ancestors = new Set<object>();

  const cut = (text: string): string => {
    const room = Math.max(0, budget - 2);
    budget -= text.length + 2;
    if (text.length <= room) return text;
    return `${text.slice(0, room)}…[truncated ${text.length - room} chars]`;
  };

  const walk = (raw: unknown): Json => {
    const input = redact ? redact([...trail], raw) : raw;
    switch (typeof input) {
      case "string":
        return cut(input);
      case "number":
        budget -= 8;
        return Number.isFinite(input) ? input : String(input);
      case "boolean":
        budget -= 5;
        return input;
      case "undefined":
        budget -= 4;
        return null;
      case "bigint":
        return cut(`${input}n`);
      case "symbol":
        return cut(input.toString());
      case "function":
        return cut(`[function ${input.name || "anonymous"}]`);
    }
    if (input === null) {
      budget -= 4;
      return null;
    }
    const object = input as object;
    if (ancestors.has(object)) return cut("[cycle]");
    ancestors.add(object);
    try {
      return walkObject(object);
    } finally {
      ancestors.delete(object);
    }
  };

  const walkObject = (object: object): Json => {
    budget -= 2;
    if (Array.isArray(object)) {
      const out: Json[] = [];
      for (let index = 0; index < object.length; index += 1) {
        if (budget <= 0) {
          out.push(`…[truncated ${object.length - index} more items]`);
          break;
        }
        trail.push(String(index));
        out.push(walk(read(object, index)));
        trail.pop();
        budget -= 1;
      }
      return out;
    }
    if (isPlain(object)) return walkEntries(object);
    if (object instanceof Error) {
      const { _tag, reason, data } = object as { _tag?: unknown; reason?: unknown; data?: unknown };
      return walkEntries({
        name: object.name,
        message: object.message,
        ...(typeof _tag === "string" ? { tag: _tag } : {}),
        ...(typeof reason === "string" && reason !== object.message ? { reason } : {}),
        ...(data !== undefined ? { data } : {}),
      });
    }
    if (object instanceof Date)
      return cut(Number.isNaN(object.getTime()) ? "Invalid Date" : object.toISOString());
    return cut(tagOf(object));
  };

  const walkEntries = (object: object): Json => {
    const out: { [key: string]: Json } = {};
    let keys: string[];
    try {
      keys = Object.keys(object);
    } catch {
      return cut(tagOf(object));
    }
    for (let index = 0; index < keys.length; index += 1) {
      const key = keys[index]!;
      if (budget <= 0) {
        out[TRUNCATED_KEY] = `truncated ${keys.length - index} more keys`;
        break;
      }
      const item = read(object, key);
      if (item === undefined) continue;
      budget -= key.length + 4;
      trail.push(key);
      out[key] = walk(item);
      trail.pop();
    }
    return out;
  };

  try {
    return walk(value);
  } catch (error) {
    // Only a throwing `redact` gets here; a trace must not take the traced program down.
    return `[unserializable: ${error instanceof Error ? error.message : String(error)}]`;
  }
};

/** Read a property, turning a throwing getter into a marker. */
const read = (object: object, key: string | number): unknown => {
  try {
    return (object as Record<string | number, unknown>)[key];
  } catch {
    return "[unreadable]";
  }
};
