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
//              (a promise); systemId: its system id or null. Actors that are not machines (with
//              their events and snapshots) are recorded only when the inspector is asked to
//   event      an event was delivered (@xstate.event)
//              source: sender's session id or null (sent from outside); target: receiver's session
//              id; type: the event type; event: the event, JSON-safe
//   snapshot   an actor has a new snapshot (@xstate.snapshot)
//              actor; cause: type of the event that led to it; status: active | done | error |
//              stopped; machines add value (the state value) and context; other logic adds
//              output and error when present; transitions: the transitions the macrostep that
//              ended in it took (microstep transitions, below), when microsteps are not recorded
//   microstep  one microstep of a machine (@xstate.microstep), recorded only when asked
//              actor; cause; value: the state value after it; transitions: [{ source, targets }]
//              as state node ids ("agent.idle" → ["agent.busy"]; targets empty for a transition
//              that only runs actions)
//   runtime    a runtime event from the EventBus (task.*, agent.*, breaker.changed…)
//              event: the event as the catalogue's RuntimeEvent describes it
//
// Added within version 1 (a v1 reader that predates them reports these lines as malformed and
// reads on; every record it knew keeps its meaning, new fields are optional):
//
//   machine    a state machine's graph, once per distinct graph, before the first actor that runs it
//              hash: content hash of the graph; machine: the machine id; graph: { machine, root },
//              the state nodes (type atomic | compound | parallel | final | history, initial child,
//              entry/exit action names, invocations, tags) and their transitions (kind event |
//              always | after | done | error | wildcard, eventType, label, guard and action names,
//              target ids) — see graph/MachineGraph.ts. Walked from the live machine, not toJSON().
//   supervision  a team's status (what `team.status()` says), written when the team's runtime
//              events say it changed, at most every few hundred milliseconds
//              supervisor: the supervisor's session id; agents: [{ name, state, incarnation,
//              restarts, breaker, failures, queue, task (id or null), capabilities }]; queued;
//              inFlight; fanOuts; accepting; escalated
//   checkpoint a full picture every N records, so a reader can start there instead of at seq 1
//              (replay seeks fast; a live page joining late starts from the ring's checkpoint)
//              actors: every live actor as its actor record's fields plus graph and its latest
//              snapshot's status, value, context, output, error; teams: the latest supervision of
//              each team (supervision fields)
//   llm        one model call: actor, taskId, agent (each or null), model, promptTokens and
//              completionTokens (or null when the adapter did not say), latencyMs, outcome
//              (ok | error | cancelled), error (a message, when it failed)
//   approval   a person's decision on an agent's question: taskId, agent (or null), question,
//              decision (approved | rejected | answered | expired), by (who decided, or null),
//              answer (when one was typed)
//
// A line may also be a pack line, `kind: "pack"` (tracePack.ts): the records the inspector made in
// one turn of the event loop, in one line — seq and at of the first, then `records`, an array of
// short entries (field names left out, seqs counted on, times as steps). It is a line, not a record:
// `readTrace` and `decodeTraceLine` expand it into the records it holds, which are the records above
// and read as if each had a line of its own. A reader that predates pack lines reports each as
// malformed and reads on without their records (the host writes them since the trace's
// recorder-overhead work; a trace written a record a line still reads). A pack entry may stand for a
// plain agent host's usual snapshot or event by a few values (tags 4–6, added later within version
// 1: a snapshot by its cause, the assign event by its task id, the handler's settlement); it expands
// into the same record the host's inspection would have made.
//
// Fields added to v1 records: actor.graph (the hash of its machine record, for machines);
// actor.resting (and on checkpoint actors): true for a child its parent starts only when it first
// has to move (an agent's circuit breaker, closed, before its first failure), recorded by
// `attachTeam` with the snapshot it rests in and named `<parent session id>/<id>` ("x:0/echo.breaker")
// for want of a session id; when its actor starts, a snapshot `stopped` (cause
// troupe.inspector.started) ends the resting record just before the actor's own record, and it
// also stops when its parent does;
// microstep.transitions[].eventType (the event type the transition was taken on). A snapshot of
// a machine leaves `context` out when the context is the same object as in that actor's previous
// snapshot (it did not change); a reader keeps the one it had. A machine whose root `meta` is
// CONTEXT_NOT_RECORDED (the agent host, whose context is its port, handler, signal and task) has
// no context in its snapshots or checkpoint entries at all. A task written whole in its `task` io
// record is written after it, in events and contexts that carry the same task, as
// { id, $ref: "io:task" } (the inspector's few latest tasks). snapshot.transitions (the
// macrostep's transitions, in place of microstep records, which are now recorded only when asked).
// io.port "clock", "random" and "memory" (a reader that predates them reports those io lines as
// malformed and reads on). A checkpoint is also written at the start of each trace file that a
// rotating writer started mid-run (after the records already on their way), so that file alone
// names the live actors.
//
// JSON-safe means: functions, AbortSignals and class instances are short tags such as
// "[object SupervisorCore]" or "[actor x:1]"; errors are { name, message, tag?, reason?, data? };
// cyclic references are "[cycle]"; undefined is left out (null inside arrays); non-finite numbers
// and bigints are strings; each value is cut near the inspector's maxValueBytes, a cut string ending
// in "…[truncated N chars]", a cut array in "…[truncated N more items]", a cut object with the key
// "…". Values may also have passed through the inspector's `redact`.
import { Schema } from "effect";
import { AgentState, BreakerState, RuntimeEvent } from "../events/catalogue.ts";
import type { MachineGraph, StateNodeGraph } from "./graph/MachineGraph.ts";

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
  /** Hash of the machine record describing its machine (machines only). */
  graph: Schema.optional(Schema.String),
  /** A lazy child at rest: no actor yet, named `<parent>/<id>` (see the format above). */
  resting: Schema.optional(Schema.Boolean),
});

export const EventRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("event"),
  source: Schema.NullOr(sessionId),
  target: sessionId,
  type: Schema.String,
  event: Schema.Json,
});

/** A transition a microstep took, as state node ids. */
const MicrostepTransition = Schema.Struct({
  source: Schema.String,
  targets: Schema.Array(Schema.String),
  eventType: Schema.optional(Schema.String),
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
  /** The transitions the macrostep that ended here took (when microsteps are not recorded). */
  transitions: Schema.optional(Schema.Array(MicrostepTransition)),
});

export const MicrostepRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("microstep"),
  actor: sessionId,
  cause: Schema.String,
  value: Schema.Json,
  transitions: Schema.Array(MicrostepTransition),
});

export const RuntimeRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("runtime"),
  event: RuntimeEvent,
});

const Strings = Schema.Array(Schema.String);

export const TransitionGraphSchema = Schema.Struct({
  kind: Schema.Literals(["event", "always", "after", "done", "error", "wildcard"]),
  eventType: Schema.String,
  label: Schema.String,
  guard: Schema.NullOr(Schema.String),
  actions: Strings,
  targets: Strings,
  reenter: Schema.Boolean,
});

export const StateNodeGraphSchema: Schema.Codec<StateNodeGraph> = Schema.Struct({
  id: Schema.String,
  key: Schema.String,
  type: Schema.Literals(["atomic", "compound", "parallel", "final", "history"]),
  history: Schema.NullOr(Schema.Literals(["shallow", "deep"])),
  initial: Schema.NullOr(Schema.String),
  entry: Strings,
  exit: Strings,
  invoke: Schema.Array(Schema.Struct({ id: Schema.String, src: Schema.String })),
  tags: Strings,
  description: Schema.NullOr(Schema.String),
  transitions: Schema.Array(TransitionGraphSchema),
  states: Schema.Array(Schema.suspend((): Schema.Codec<StateNodeGraph> => StateNodeGraphSchema)),
});

export const MachineRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("machine"),
  hash: Schema.String,
  machine: Schema.String,
  graph: Schema.Struct({ machine: Schema.String, root: StateNodeGraphSchema }),
});

export const AgentStatusFields = Schema.Struct({
  name: Schema.String,
  state: AgentState,
  incarnation: Schema.Number,
  restarts: Schema.Number,
  breaker: BreakerState,
  failures: Schema.Number,
  queue: Schema.Number,
  task: Schema.NullOr(Schema.String),
  capabilities: Strings,
});
export type AgentStatusFields = typeof AgentStatusFields.Type;

const teamFields = {
  supervisor: sessionId,
  agents: Schema.Array(AgentStatusFields),
  queued: Schema.Number,
  inFlight: Schema.Number,
  fanOuts: Schema.Number,
  accepting: Schema.Boolean,
  escalated: Schema.Boolean,
};
export const TeamStatusFields = Schema.Struct(teamFields);
export type TeamStatusFields = typeof TeamStatusFields.Type;

export const SupervisionRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("supervision"),
  ...teamFields,
});

export const CheckpointActor = Schema.Struct({
  actor: sessionId,
  id: Schema.String,
  parent: Schema.NullOr(sessionId),
  root: sessionId,
  machine: Schema.NullOr(Schema.String),
  systemId: Schema.NullOr(Schema.String),
  graph: Schema.NullOr(Schema.String),
  resting: Schema.optional(Schema.Boolean),
  status: Schema.Literals(["active", "done", "error", "stopped"]),
  value: Schema.optional(Schema.Json),
  context: Schema.optional(Schema.Json),
  output: Schema.optional(Schema.Json),
  error: Schema.optional(Schema.Json),
});
export type CheckpointActor = typeof CheckpointActor.Type;

export const CheckpointRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("checkpoint"),
  actors: Schema.Array(CheckpointActor),
  teams: Schema.Array(TeamStatusFields),
});

export const LlmRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("llm"),
  actor: Schema.NullOr(sessionId),
  taskId: Schema.NullOr(Schema.String),
  agent: Schema.NullOr(Schema.String),
  model: Schema.String,
  promptTokens: Schema.NullOr(Schema.Number),
  completionTokens: Schema.NullOr(Schema.Number),
  latencyMs: Schema.Number,
  outcome: Schema.Literals(["ok", "error", "cancelled"]),
  error: Schema.optional(Schema.String),
});

export const ApprovalRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("approval"),
  taskId: Schema.String,
  agent: Schema.NullOr(Schema.String),
  question: Schema.String,
  decision: Schema.Literals(["approved", "rejected", "answered", "expired"]),
  by: Schema.NullOr(Schema.String),
  answer: Schema.optional(Schema.String),
});

/**
 * One input or output of a task that replay feeds back or checks: the task as it was accepted, a
 * model call (request, reply, streamed tokens), a tool run, a person's answer, approval or vote, a
 * clock reading (`ctx.now()`), a random id (`ctx.randomId()`), a memory call (`ctx.memory`: the
 * method and its arguments, and what it gave), and the task's outcome. `call` numbers the calls of
 * one port within one task, from 1.
 */
export const IoRecord = Schema.Struct({
  ...common,
  kind: Schema.Literal("io"),
  taskId: Schema.String,
  agent: Schema.NullOr(Schema.String),
  /** `fork`: this trace goes on live from `request.until` of the trace `request.trace`. */
  port: Schema.Literals(["task", "llm", "tool", "human", "clock", "random", "memory", "outcome", "fork"]),
  call: Schema.Number,
  /** What was asked (the task input, the messages and options, the tool's arguments, the question). */
  request: Schema.Json,
  /** What came back (absent when the call failed). */
  reply: Schema.optional(Schema.Json),
  /** A streamed reply's tokens, in order. */
  tokens: Schema.optional(Schema.Array(Schema.String)),
  /** Why the call failed ({ name, message, tag?, reason? }). */
  error: Schema.optional(Schema.Json),
});

export const TraceRecord = Schema.Union([
  ActorRecord,
  EventRecord,
  SnapshotRecord,
  MicrostepRecord,
  RuntimeRecord,
  MachineRecord,
  SupervisionRecord,
  CheckpointRecord,
  LlmRecord,
  ApprovalRecord,
  IoRecord,
]);
export type TraceRecord = typeof TraceRecord.Type;
export type TraceRecordKind = TraceRecord["kind"];
export type TraceRecordOf<K extends TraceRecordKind> = Extract<TraceRecord, { kind: K }>;

/** A machine record's graph, typed. */
export type MachineRecordGraph = MachineGraph;
