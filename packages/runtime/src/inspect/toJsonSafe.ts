// Turns whatever an actor holds (contexts with class instances, ports, AbortSignals, functions,
// cyclic graphs, megabyte strings) into a bounded JSON value for a trace. It never throws and never
// walks into class instances: a SupervisorCore becomes "[object SupervisorCore]", a signal
// "[object AbortSignal]", an actor "[actor x:1]". Output size is held near `maxBytes`. An error's
// message is redacted (a URL's password, a token) like a log line's.
import type { Schema } from "effect";
import { redactText } from "../log/redactSecrets.ts";

export type Json = Schema.Json;

/**
 * Called for every value on its way into a record; what it returns is written instead. `path` is
 * only valid during the call (the walk reuses it: copy it to keep it).
 */
export type Redact = (path: readonly string[], value: unknown) => unknown;

export interface JsonSafeOptions {
  /**
   * About how much JSON text the value may take, counted in UTF-16 code units (bytes, for ASCII).
   * Past it, strings are cut and arrays and objects end with a "…truncated" marker.
   */
  readonly maxBytes: number;
  readonly redact?: Redact | undefined;
  /**
   * An object already written in full elsewhere (the Inspector's tasks, in their io records): what
   * is written in its place, or undefined to write the object itself. Asked of every object met.
   */
  readonly refer?: ((value: object) => Json | undefined) | undefined;
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
 * The walk's state. One object per call, and module-level functions instead of closures: the
 * Inspector calls this several times per task, so what it allocates besides its output counts.
 */
interface Walk {
  budget: number;
  readonly redact: Redact | undefined;
  readonly refer: ((value: object) => Json | undefined) | undefined;
  /** The path of the value being walked; only kept up to date when there is a `redact`. */
  readonly trail: string[];
  /** Objects on the way down, to cut cycles (an array: walks are shallow). */
  readonly ancestors: object[];
}

const cut = (walk: Walk, text: string): string => {
  const room = Math.max(0, walk.budget - 2);
  walk.budget -= text.length + 2;
  if (text.length <= room) return text;
  return `${text.slice(0, room)}…[truncated ${text.length - room} chars]`;
};

const walkValue = (walk: Walk, raw: unknown): Json => {
  const input = walk.redact ? walk.redact(walk.trail, raw) : raw;
  switch (typeof input) {
    case "string":
      return cut(walk, input);
    case "number":
      walk.budget -= 8;
      return Number.isFinite(input) ? input : String(input);
    case "boolean":
      walk.budget -= 5;
      return input;
    case "undefined":
      walk.budget -= 4;
      return null;
    case "bigint":
      return cut(walk, `${input}n`);
    case "symbol":
      return cut(walk, input.toString());
    case "function":
      return cut(walk, `[function ${input.name || "anonymous"}]`);
  }
  if (input === null) {
    walk.budget -= 4;
    return null;
  }
  const object = input as object;
  const reference = walk.refer?.(object);
  if (reference !== undefined) return walkValue(walk, reference);
  if (walk.ancestors.includes(object)) return cut(walk, "[cycle]");
  walk.ancestors.push(object);
  try {
    return walkObject(walk, object);
  } finally {
    walk.ancestors.pop();
  }
};

const walkObject = (walk: Walk, object: object): Json => {
  walk.budget -= 2;
  if (Array.isArray(object)) {
    const out: Json[] = [];
    for (let index = 0; index < object.length; index += 1) {
      if (walk.budget <= 0) {
        out.push(`…[truncated ${object.length - index} more items]`);
        break;
      }
      if (walk.redact) walk.trail.push(String(index));
      out.push(walkValue(walk, read(object, index)));
      if (walk.redact) walk.trail.pop();
      walk.budget -= 1;
    }
    return out;
  }
  if (isPlain(object)) return walkEntries(walk, object);
  if (object instanceof Error) {
    const { _tag, reason, data } = object as { _tag?: unknown; reason?: unknown; data?: unknown };
    return walkEntries(walk, {
      name: object.name,
      message: redactText(object.message),
      ...(typeof _tag === "string" ? { tag: _tag } : {}),
      ...(typeof reason === "string" && reason !== object.message ? { reason } : {}),
      ...(data !== undefined ? { data } : {}),
    });
  }
  if (object instanceof Date)
    return cut(walk, Number.isNaN(object.getTime()) ? "Invalid Date" : object.toISOString());
  return cut(walk, tagOf(object));
};

const walkEntries = (walk: Walk, object: object): Json => {
  const out: { [key: string]: Json } = {};
  let keys: string[];
  try {
    keys = Object.keys(object);
  } catch {
    return cut(walk, tagOf(object));
  }
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index]!;
    if (walk.budget <= 0) {
      out[TRUNCATED_KEY] = `truncated ${keys.length - index} more keys`;
      break;
    }
    const item = read(object, key);
    if (item === undefined) continue;
    walk.budget -= key.length + 4;
    if (walk.redact) walk.trail.push(key);
    out[key] = walkValue(walk, item);
    if (walk.redact) walk.trail.pop();
  }
  return out;
};

/**
 * A JSON-safe copy of `value`. `path` is where the value sits in its record (for `redact`), e.g.
 * ["context"]; keys below it are appended as the walk goes down.
 */
export const toJsonSafe = (value: unknown, path: readonly string[], options: JsonSafeOptions): Json => {
  const { redact, refer } = options;
  const walk: Walk = {
    budget: options.maxBytes,
    redact,
    refer,
    trail: redact ? [...path] : [],
    ancestors: [],
  };
  try {
    return walkValue(walk, value);
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
