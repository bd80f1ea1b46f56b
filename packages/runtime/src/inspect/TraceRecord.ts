// The trace record format: what the Inspector keeps in memory, writes one per line to a JSONL
// trace, and what the visualizer reads back. It is an Effect Schema so a trace from another
// process or an older build is checked line by line.
//
// Format, version 1 (`v: 1`). Every record is one JSON object with
//   v     1, the format version; a reader refuses other versions
//   seq   1, 2, 3… in the order the inspector saw things (gaps only if a ring dropped records)
//   at    epoch milliseconds from the inspector's clock when it saw the thing
//   kind  one of the kinds below
// Actors are named by their XState session id ("x:0", "x:1"…), unique within one actor system.
//
//   actor      an actor was created (@xstate.actor)
//              actor: session id; id: its id in its parent ("echo#1", "task"); parent: the parent's
//              session id or null for a root; root: the root actor's session id; machine: the
//              machine id ("supervisor", "agent") or null when the logic is not a state machine
//              (a promise); systemId: its system id or null
//   event      an event was delivered (@xstate.event)
//              source: sender's session id or null (sent from outside); target: receiver's session
//              id; type: the event type; event: the event, JSON-safe
//   snapshot   an actor has a new snapshot (@xstate.snapshot)
//              actor; cause: type of the event that led to it; status: active | done | error |
//              stopped; machines add value (the state value) and context; other logic adds
//              output and error when present
//   microstep  one microstep of a machine (@xstate.microstep)
//              actor; cause; value: the state value after it; transitions: [{ source, targets }]
//              as state node ids ("agent.idle" → ["agent.busy"]; targets empty for a transition
//              that only runs actions)
//   runtime    a runtime event from the EventBus (task.*, agent.*, breaker.changed…)
//              event: the event as the catalogue's RuntimeEvent describes it
//
// JSON-safe means: functions, AbortSignals and class instances are short tags such as
// "[object SupervisorCore]" or "[actor x:1]"; errors are { name, message, tag?, reason?, data? };
// cyclic references are "[cycle]"; undefined is left out (null inside arrays); non-finite numbers
// and bigints are strings; each value is cut near the inspector's maxValueBytes, a cut string ending
// in "…[truncated N chars]", a cut array in "…[truncated N more items]", a cut object with the key
// "…". Values may also have passed through the inspector's `redact`.
import { Schema } from "effect";
import { RuntimeEvent } from "../events/catalogue.ts";

/** The version every record of this format carries in `v`. */
export const TRACE_FORMAT_VERSION = 1;

const common = {
  v: Schema.Literal(TRACE_FORMAT_VERSION),
  seq: Schema.Number,
  at: Schema.Number,
};
const sessionId = Schema.String;

export const ActorRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("actor"),
  actor: sessionId,
  id: Schema.String,
  parent: Schema.NullOr(sessionId),
  root: sessionId,
  machine: Schema.NullOr(Schema.String),
  systemId: Schema.NullOr(Schema.String),
});

export const EventRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("event"),
  source: Schema.NullOr(sessionId),
  target: sessionId,
  type: Schema.String,
  event: Schema.Json,
});

export const SnapshotRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("snapshot"),
  actor: sessionId,
  cause: Schema.String,
  status: Schema.Literals(["active", "done", "error", "stopped"]),
  value: Schema.optional(Schema.Json),
  context: Schema.optional(Schema.Json),
  output: Schema.optional(Schema.Json),
  error: Schema.optional(Schema.Json),
});

export const MicrostepRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("microstep"),
  actor: sessionId,
  cause: Schema.String,
  value: Schema.Json,
  transitions: Schema.Array(Schema.Struct({ source: Schema.String, targets: Schema.Array(Schema.String) })),
});

export const RuntimeRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("runtime"),
  event: RuntimeEvent,
});

export const TraceRecord = Schema.Union([
  ActorRecord,
  EventRecord,
  SnapshotRecord,
  MicrostepRecord,
  RuntimeRecord,
]);
export type TraceRecord = typeof TraceRecord.Type;
export type TraceRecordKind = TraceRecord["kind"];
export type TraceRecordOf<K extends TraceRecordKind> = Extract<TraceRecord, { kind: K }>;
