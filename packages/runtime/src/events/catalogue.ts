// The event catalogue: every event the runtime publishes, as one Effect Schema union.
// In-process subscribers get these values as they are; anything that crosses a process
// (Redis, traces, the visualizer) is encoded and decoded with `RuntimeEvent` so a malformed
// or unknown message is refused with the field named.
import { Result, Schema } from "effect";

const at = Schema.Number; // epoch milliseconds from the team's clock
const taskId = Schema.String;
const agent = Schema.String;

const event = <const T extends string, const F extends Schema.Struct.Fields>(type: T, fields: F) =>
  Schema.Struct({ type: Schema.Literal(type), at, ...fields });

export const TaskState = Schema.Literals([
  "queued",
  "claimed",
  "working",
  "awaiting_human",
  "retrying",
  "succeeded",
  "failed",
  "cancelled",
]);
export type TaskState = typeof TaskState.Type;

export const BreakerState = Schema.Literals(["closed", "open", "half_open"]);
export type BreakerState = typeof BreakerState.Type;

export const AgentState = Schema.Literals(["idle", "working", "awaiting_human", "stopped"]);
export type AgentState = typeof AgentState.Type;

export const Severity = Schema.Literals(["info", "warning", "critical"]);
export type Severity = typeof Severity.Type;

const ErrorInfo = Schema.Struct({ tag: Schema.String, reason: Schema.String });

export const TaskQueued = event("task.queued", {
  taskId,
  agent: Schema.NullOr(agent),
  text: Schema.String,
  channel: Schema.NullOr(Schema.String),
  parentTaskId: Schema.NullOr(taskId),
});
export const TaskRouted = event("task.routed", { taskId, agent, rule: Schema.String });
export const TaskClaimed = event("task.claimed", { taskId, agent, attempt: Schema.Number });
export const TaskStarted = event("task.started", { taskId, agent, attempt: Schema.Number });
export const TaskProgress = event("task.progress", { taskId, agent, message: Schema.String });
export const TaskAwaitingHuman = event("task.awaiting_human", { taskId, agent, question: Schema.String });
export const TaskResumed = event("task.resumed", { taskId, agent });
/** A person's decision on an approval (`ctx.askApproval`), or why there was none. */
export const TaskApproval = event("task.approval", {
  taskId,
  agent,
  hash: Schema.String,
  decision: Schema.Literals(["approved", "denied", "expired", "refused"]),
  by: Schema.NullOr(Schema.String),
});
export const TaskRetrying = event("task.retrying", {
  taskId,
  agent: Schema.NullOr(agent),
  /** The attempt about to be made (2 for the first retry). */
  attempt: Schema.Number,
  reason: Schema.String,
});
export const TaskSucceeded = event("task.succeeded", { taskId, agent, durationMs: Schema.Number });
export const TaskFailed = event("task.failed", { taskId, agent: Schema.NullOr(agent), error: ErrorInfo });
export const TaskCancelled = event("task.cancelled", {
  taskId,
  agent: Schema.NullOr(agent),
  reason: Schema.String,
});
export const TaskEmitted = event("task.emitted", { taskId, agent, event: Schema.Unknown });

export const AgentStarted = event("agent.started", { agent, incarnation: Schema.Number });
export const AgentStateChanged = event("agent.state", { agent, state: AgentState });
export const AgentRestarted = event("agent.restarted", {
  agent,
  incarnation: Schema.Number,
  strategy: Schema.String,
  cause: Schema.String,
});
export const HeartbeatMissed = event("heartbeat.missed", { agent, taskId, deadlineMs: Schema.Number });
export const BreakerChanged = event("breaker.changed", {
  agent,
  from: BreakerState,
  to: BreakerState,
  failures: Schema.Number,
});
export const DeadlockDetected = event("deadlock.detected", { taskId, cycle: Schema.Array(agent) });
export const FanOutStarted = event("fanout.started", {
  fanOutId: Schema.String,
  join: Schema.String,
  branches: Schema.Array(Schema.Struct({ taskId, agent })),
});
export const FanOutSettled = event("fanout.settled", {
  fanOutId: Schema.String,
  outcome: Schema.Literals(["succeeded", "failed", "cancelled"]),
  winners: Schema.Array(taskId),
});
export const SupervisorEscalated = event("supervisor.escalated", {
  restarts: Schema.Number,
  periodMs: Schema.Number,
  reason: Schema.String,
  /** When the team restarts itself (its escalation policy); null when it stops for good. */
  restartInMs: Schema.NullOr(Schema.Number),
});
export const SupervisorRestarted = event("supervisor.restarted", {
  /** Escalations in a row, this one included (the backoff grew with them). */
  escalations: Schema.Number,
  downMs: Schema.Number,
});
export const AlertRaised = event("alert.raised", {
  alertId: Schema.String,
  severity: Severity,
  source: Schema.String,
  title: Schema.String,
  text: Schema.String,
});
export const AlertResolved = event("alert.resolved", { alertId: Schema.String, source: Schema.String });
export const TaskLeased = event("task.leased", {
  taskId,
  consumer: Schema.String,
  attempt: Schema.Number,
});
export const TaskDeadLettered = event("task.dead_lettered", {
  taskId,
  attempts: Schema.Number,
  error: ErrorInfo,
});
export const TaskResultRefused = event("task.result_refused", {
  taskId,
  fence: Schema.Number,
  reason: Schema.String,
});
export const TaskRecorded = event("task.recorded", {
  taskId,
  status: Schema.Literals(["succeeded", "cancelled", "dead"]),
});
export const QueueRepaired = event("queue.repaired", { queue: Schema.String, reason: Schema.String });
export const MirrorGap = event("mirror.gap", {
  namespace: Schema.String,
  downAt: Schema.Number,
  upAt: Schema.Number,
});
export const RuntimeWarning = event("runtime.warning", { message: Schema.String, detail: Schema.Unknown });

export const RuntimeEvent = Schema.Union([
  TaskQueued,
  TaskRouted,
  TaskClaimed,
  TaskStarted,
  TaskProgress,
  TaskAwaitingHuman,
  TaskResumed,
  TaskApproval,
  TaskRetrying,
  TaskSucceeded,
  TaskFailed,
  TaskCancelled,
  TaskEmitted,
  AgentStarted,
  AgentStateChanged,
  AgentRestarted,
  HeartbeatMissed,
  BreakerChanged,
  DeadlockDetected,
  FanOutStarted,
  FanOutSettled,
  SupervisorEscalated,
  SupervisorRestarted,
  AlertRaised,
  AlertResolved,
  TaskLeased,
  TaskDeadLettered,
  TaskResultRefused,
  TaskRecorded,
  QueueRepaired,
  MirrorGap,
  RuntimeWarning,
]);
export type RuntimeEvent = typeof RuntimeEvent.Type;
export type RuntimeEventType = RuntimeEvent["type"];
export type RuntimeEventOf<T extends RuntimeEventType> = Extract<RuntimeEvent, { type: T }>;
/** An event as a publisher writes it: the bus stamps `at`. */
export type RuntimeEventInput = RuntimeEvent extends infer E
  ? E extends RuntimeEvent
    ? Omit<E, "at">
    : never
  : never;

/** Events about one task, in the order a task can go through them. */
export type TaskEvent = Extract<RuntimeEvent, { taskId: string }>;

export const runtimeEventTypes: readonly RuntimeEventType[] = RuntimeEvent.members.map(
  (member) => member.fields.type.literal,
);

/** The task state an event moves its task to, or undefined when it does not change it. */
export const taskStateOf = (event: RuntimeEvent): TaskState | undefined => {
  switch (event.type) {
    case "task.queued":
      return "queued";
    case "task.claimed":
      return "claimed";
    case "task.started":
    case "task.resumed":
      return "working";
    case "task.awaiting_human":
      return "awaiting_human";
    case "task.retrying":
      return "retrying";
    case "task.succeeded":
      return "succeeded";
    case "task.failed":
      return "failed";
    case "task.cancelled":
      return "cancelled";
    default:
      return undefined;
  }
};

/** One decoder per event type: a message is checked against its own type's schema only. */
const decoders = new Map(
  RuntimeEvent.members.map((member) => [
    member.fields.type.literal as string,
    Schema.decodeUnknownResult(member),
  ]),
);

/** Validate an event that crossed a process boundary: the event, or a message naming what is wrong. */
export const decodeRuntimeEvent = (
  input: unknown,
): { ok: true; event: RuntimeEvent } | { ok: false; error: string } => {
  const type = typeof input === "object" && input !== null ? (input as { type?: unknown }).type : undefined;
  const decode = typeof type === "string" ? decoders.get(type) : undefined;
  if (!decode) {
    return {
      ok: false,
      error: `unknown event type ${JSON.stringify(type)}; expected one of the catalogue's types`,
    };
  }
  const result = decode(input) as Result.Result<RuntimeEvent, { message: string }>;
  return Result.isSuccess(result)
    ? { ok: true, event: result.success }
    : { ok: false, error: String(result.failure.message) };
};
