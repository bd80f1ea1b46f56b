// Pack lines: the records an Inspector makes in one turn of the event loop, written as one JSONL
// line of short arrays instead of one JSON object per record (a no-op task's 13 records were 2.4 KB
// of JSON, most of it field names and repeated envelopes; serialising and writing them cost more
// than running the task). Readers expand a pack line back into the very records it holds
// (`expandPackLine`), so replay and the visualizer read records as before.
//
//   {"v":1,"seq":S,"at":A,"kind":"pack","records":[entry, …]}
//
// The records of a pack have the seqs S, S+1, S+2… in order. Each entry is an array whose first
// element is the record's `at` minus the previous record's (the first's minus A; whole numbers
// only: a record at a fractional time, or too far from the one before, gets a line of its own).
// Then, by the second element:
//
//   a string T        a runtime event of the shape named T in RUNTIME_SHAPES: its fields' values in
//                     that order (`at` as the event's at minus the record's); the event's `type` is T
//   1                 a snapshot without context, output or error:
//                     [dAt, 1, actor, cause, status, value, transitions?] with transitions as
//                     [source, targets, eventType?] arrays
//   2                 an event: [dAt, 2, source, target, type, event]
//   3                 an io record without tokens or error: [dAt, 3, taskId, agent, port, call,
//                     request, reply?]
//   4                 a step of a plain agent's host (agentHostMachine, whose chart is fixed): a
//                     snapshot [dAt, 4, actor, cause] whose status, value and transitions are the
//                     ones PLAIN_HOST_STEPS gives for that cause (written only when they are)
//   5                 the task a plain agent's host is assigned, written in an io record before it:
//                     [dAt, 5, source, target, taskId], the event record
//                     {type: "troupe.task.assign", task: {id: taskId, $ref: "io:task"},
//                     signal: "[object AbortSignal]"}
//   6                 a plain agent's handler settled: [dAt, 6, source, target, type, taskId,
//                     output?], the event record {type, taskId, output?} (troupe.task.done/error,
//                     error in place of output)
//   an object         any other record, as itself without v, seq and at
//
// A shape never changes once written: a runtime event with other fields is written as an object.
// Tags 4–6 were added within version 1 (a reader that predates them reports the pack line from
// that entry on as damaged).
import { TRACE_FORMAT_VERSION, type TraceRecord } from "./TraceRecord.ts";
import type { Json } from "./toJsonSafe.ts";

/** The runtime events written by shape: each type's fields, in the order a pack writes them. */
export const RUNTIME_SHAPES: Readonly<Record<string, readonly string[]>> = {
  "task.queued": ["taskId", "agent", "text", "channel", "parentTaskId", "at"],
  "task.routed": ["taskId", "agent", "rule", "at"],
  "task.claimed": ["taskId", "agent", "attempt", "at"],
  "task.started": ["taskId", "agent", "attempt", "at"],
  "task.succeeded": ["taskId", "agent", "durationMs", "at"],
  "agent.state": ["agent", "state", "at"],
};

type HostStep = {
  readonly value: Json;
  readonly transitions: readonly { source: string; targets: readonly string[]; eventType: string }[];
};
const hostStep = (cause: string, source: string, target: string, value: Json): HostStep =>
  Object.freeze({
    value: Object.freeze(value),
    transitions: Object.freeze([
      Object.freeze({ source, targets: Object.freeze([target]), eventType: cause }),
    ]),
  });
const WORKING = { busy: "working" };

/**
 * A plain agent's host (agentHostMachine) steps, by the event that caused each: the state it then
 * has and the one transition it took. A snapshot that is exactly one of these is written by its
 * cause alone (tag 4); anything else (a stop, another status, more transitions) is written whole.
 */
export const PLAIN_HOST_STEPS: Readonly<Record<string, HostStep>> = {
  "troupe.task.assign": hostStep("troupe.task.assign", "agent.idle", "agent.busy", WORKING),
  "troupe.task.done": hostStep("troupe.task.done", "agent.busy", "agent.idle", "idle"),
  "troupe.task.error": hostStep("troupe.task.error", "agent.busy", "agent.idle", "idle"),
  "troupe.task.cancel": hostStep("troupe.task.cancel", "agent.busy", "agent.idle", "idle"),
  "troupe.human.asked": hostStep("troupe.human.asked", "agent.busy.working", "agent.busy.awaitingHuman", {
    busy: "awaitingHuman",
  }),
  "troupe.human.answered": hostStep(
    "troupe.human.answered",
    "agent.busy.awaitingHuman",
    "agent.busy.working",
    WORKING,
  ),
};

/** What a plain agent's host's assign event writes for the AbortSignal it carries. */
export const SIGNAL_TAG = "[object AbortSignal]";

/** A record as the Inspector makes it, before it has v, seq and at. */
export type PackBody = TraceRecord extends infer R
  ? R extends TraceRecord
    ? Omit<R, "v" | "seq" | "at">
    : never
  : never;

const isPrimitive = (value: unknown): boolean =>
  typeof value === "string" || typeof value === "boolean" || value === null || Number.isFinite(value);

/** A runtime event as a shaped entry, or undefined when it does not fit its shape exactly. */
const runtimeEntry = (dAt: number, at: number, event: Record<string, unknown>): unknown[] | undefined => {
  const type = event.type;
  if (typeof type !== "string") return undefined;
  const shape = RUNTIME_SHAPES[type];
  if (shape === undefined) return undefined;
  let fields = 0;
  for (const key in event) {
    fields += 1;
    if (!isPrimitive(event[key])) return undefined;
  }
  if (fields !== shape.length + 1) return undefined;
  const entry: unknown[] = [dAt, type];
  for (const key of shape) {
    const value = event[key];
    if (value === undefined) return undefined;
    if (key === "at") {
      // A step is exact only between whole numbers whose difference is itself safe.
      const step = (value as number) - at;
      if (!(Number.isSafeInteger(value) && Number.isSafeInteger(step))) return undefined;
      entry.push(step);
    } else entry.push(value);
  }
  return entry;
};

/**
 * A record's pack entry: `dAt` is its at minus the previous record's, `at` its own (a whole number).
 * Values are JSON already (the Inspector made them JSON-safe). Entries are arrays, serialised all at
 * once by `packLine`: one JSON.stringify of a turn's arrays cost half what building each entry's text
 * by hand did, and a third of a line per record.
 */
export const packEntry = (body: PackBody, dAt: number, at: number): unknown[] => {
  switch (body.kind) {
    case "runtime":
      return runtimeEntry(dAt, at, body.event as unknown as Record<string, unknown>) ?? [dAt, body];
    case "snapshot": {
      if (
        body.context !== undefined ||
        body.output !== undefined ||
        body.error !== undefined ||
        body.value === undefined
      )
        return [dAt, body];
      const entry: unknown[] = [dAt, 1, body.actor, body.cause, body.status, body.value];
      if (body.transitions !== undefined)
        entry.push(
          body.transitions.map((transition) =>
            transition.eventType === undefined
              ? [transition.source, transition.targets]
              : [transition.source, transition.targets, transition.eventType],
          ),
        );
      return entry;
    }
    case "event":
      return body.event === undefined
        ? [dAt, body]
        : [dAt, 2, body.source, body.target, body.type, body.event];
    case "io": {
      if (body.tokens !== undefined || body.error !== undefined || body.request === undefined)
        return [dAt, body];
      const entry: unknown[] = [dAt, 3, body.taskId, body.agent, body.port, body.call, body.request];
      if (body.reply !== undefined) entry.push(body.reply);
      return entry;
    }
    default:
      return [dAt, body];
  }
};

/** A plain agent's host's snapshot that is its PLAIN_HOST_STEPS entry for `cause` (dAt set by the packer). */
export const hostStepEntry = (actor: string, cause: string): unknown[] => [0, 4, actor, cause];

/** A plain agent's host's assign event whose task is in an io record before it. */
export const assignEntry = (source: string | null, target: string, taskId: string): unknown[] => [
  0,
  5,
  source,
  target,
  taskId,
];

/** A plain agent's handler settling, `value` its output or error (left out when undefined). */
export const settledEntry = (
  source: string | null,
  target: string,
  type: string,
  taskId: string,
  value: Json | undefined,
): unknown[] =>
  value === undefined ? [0, 6, source, target, type, taskId] : [0, 6, source, target, type, taskId, value];

/** The JSONL line of a pack whose first record has `seq` and `at`. */
export const packLine = (seq: number, at: number, entries: readonly unknown[]): string =>
  `{"v":${TRACE_FORMAT_VERSION},"seq":${seq},"at":${at},"kind":"pack","records":${JSON.stringify(entries)}}`;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether a parsed line is a pack line (its records are then `expandPackLine`'s). */
export const isPackLine = (input: unknown): boolean => isObject(input) && input.kind === "pack";

/** The transitions of a snapshot entry back as the records have them. */
const transitionsOf = (packed: unknown): unknown =>
  Array.isArray(packed)
    ? packed.map((transition) =>
        Array.isArray(transition)
          ? {
              source: transition[0],
              targets: transition[1],
              ...(transition.length > 2 ? { eventType: transition[2] } : {}),
            }
          : transition,
      )
    : packed;

/** The record an entry stands for, unchecked (the caller checks it against the schema). */
const recordOf = (entry: readonly unknown[], seq: number, at: number): Record<string, unknown> => {
  const head = { v: TRACE_FORMAT_VERSION, seq, at };
  const tag = entry[1];
  if (typeof tag === "string") {
    const shape = RUNTIME_SHAPES[tag];
    if (shape === undefined) throw new Error(`unknown runtime shape ${JSON.stringify(tag)}`);
    if (entry.length !== shape.length + 2)
      throw new Error(`a ${tag} entry has ${entry.length - 2} values; its shape has ${shape.length}`);
    const event: Record<string, unknown> = { type: tag };
    shape.forEach((key, index) => {
      const value = entry[index + 2];
      event[key] = key === "at" && typeof value === "number" ? value + at : value;
    });
    return { ...head, kind: "runtime", event };
  }
  switch (tag) {
    case 1: {
      const [, , actor, cause, status, value, transitions] = entry;
      return {
        ...head,
        kind: "snapshot",
        actor,
        cause,
        status,
        value,
        ...(entry.length > 6 ? { transitions: transitionsOf(transitions) } : {}),
      };
    }
    case 2: {
      const [, , source, target, type, event] = entry;
      return { ...head, kind: "event", source, target, type, event };
    }
    case 4: {
      const [, , actor, cause] = entry;
      const step = typeof cause === "string" ? PLAIN_HOST_STEPS[cause] : undefined;
      if (step === undefined) throw new Error(`no plain host step for ${JSON.stringify(cause)}`);
      return {
        ...head,
        kind: "snapshot",
        actor,
        cause,
        status: "active",
        value: typeof step.value === "object" ? { ...step.value } : step.value,
        transitions: step.transitions.map((transition) => ({
          ...transition,
          targets: [...transition.targets],
        })),
      };
    }
    case 5: {
      const [, , source, target, taskId] = entry;
      const type = "troupe.task.assign";
      const event = { type, task: { id: taskId, $ref: "io:task" }, signal: SIGNAL_TAG };
      return { ...head, kind: "event", source, target, type, event };
    }
    case 6: {
      const [, , source, target, type, taskId, value] = entry;
      const key = type === "troupe.task.error" ? "error" : "output";
      const event = { type, taskId, ...(entry.length > 6 ? { [key]: value } : {}) };
      return { ...head, kind: "event", source, target, type, event };
    }
    case 3: {
      const [, , taskId, agent, port, call, request, reply] = entry;
      return {
        ...head,
        kind: "io",
        taskId,
        agent,
        port,
        call,
        request,
        ...(entry.length > 7 ? { reply } : {}),
      };
    }
    default:
      if (!isObject(tag)) throw new Error(`unknown entry ${JSON.stringify(tag)?.slice(0, 40)}`);
      return { ...head, ...tag };
  }
};

/**
 * The records a parsed pack line holds, in order, each still to be checked against the schema; a
 * bad entry is `error`, naming its index, and ends the expansion there (the records before it stand).
 */
export const expandPackLine = (input: unknown): { records: unknown[]; error?: string } => {
  const records: unknown[] = [];
  if (!isObject(input)) return { records, error: "a pack line is not an object" };
  const { seq, at, records: entries } = input;
  if (typeof seq !== "number" || typeof at !== "number" || !Array.isArray(entries))
    return { records, error: 'a pack line needs numbers "seq" and "at" and an array "records"' };
  let time = at;
  for (let index = 0; index < entries.length; index += 1) {
    const entry = entries[index] as unknown;
    if (!Array.isArray(entry) || typeof entry[0] !== "number")
      return { records, error: `pack entry ${index} is not an array starting with a number` };
    time += entry[0];
    try {
      records.push(recordOf(entry, seq + index, time));
    } catch (error) {
      return { records, error: `pack entry ${index}: ${(error as Error).message}` };
    }
  }
  return { records };
};
