// The replay reducer: folds trace records into the state a visualizer shows at one point of a run
// — every live actor with its status, state value and context, and each team's supervision view
// (agent state, breaker, queue, current task, restarts). The live page and a replayed trace use
// the same fold, so "the state at seq n" means the same thing in both. Pure: no I/O, no clock, no
// Node built-ins, so the browser page bundles it as is. `applyRecord` mutates for speed; clone with
// `cloneReplayState` to keep a state.

import type { CheckpointActor, TeamStatusFields, TraceRecord } from "../TraceRecord.ts";
import type { Json } from "../toJsonSafe.ts";

export type ActorStatus = "active" | "done" | "error" | "stopped";

/** One live actor as of the state's seq. */
export interface ActorView {
  readonly actor: string;
  readonly id: string;
  readonly parent: string | null;
  readonly root: string;
  /** The machine id, or null for other logic (a promise, a callback). */
  readonly machine: string | null;
  readonly systemId: string | null;
  /** Hash of its machine record, when known. */
  readonly graph: string | null;
  /** A lazy child at rest (an agent's breaker before its first failure): no actor yet. */
  readonly resting?: boolean;
  status: ActorStatus;
  value?: Json;
  context?: Json;
  output?: Json;
  error?: Json;
  /** Seq of the record that last changed this actor. */
  changedAt: number;
}

/** A team's supervision view: the latest supervision record, kept current by runtime events. */
export interface AgentView {
  name: string;
  state: TeamStatusFields["agents"][number]["state"];
  incarnation: number;
  restarts: number;
  breaker: TeamStatusFields["agents"][number]["breaker"];
  failures: number;
  queue: number;
  task: string | null;
  capabilities: readonly string[];
}

export interface TeamView {
  supervisor: string;
  agents: AgentView[];
  queued: number;
  inFlight: number;
  fanOuts: number;
  accepting: boolean;
  escalated: boolean;
}

export interface ReplayState {
  /** The seq of the last record applied (0 before any). */
  seq: number;
  /** Live actors by session id; an actor leaves when it is done, errored or stopped. */
  actors: Record<string, ActorView>;
  /** Teams by their supervisor's session id. */
  teams: Record<string, TeamView>;
}

export const createReplayState = (): ReplayState => ({ seq: 0, actors: {}, teams: {} });

export const cloneReplayState = (state: ReplayState): ReplayState => structuredClone(state);

const teamView = (fields: TeamStatusFields): TeamView => ({
  supervisor: fields.supervisor,
  agents: fields.agents.map((agent) => ({ ...agent, capabilities: [...agent.capabilities] })),
  queued: fields.queued,
  inFlight: fields.inFlight,
  fanOuts: fields.fanOuts,
  accepting: fields.accepting,
  escalated: fields.escalated,
});

const actorFromCheckpoint = (entry: CheckpointActor, seq: number): ActorView => {
  const view: ActorView = {
    actor: entry.actor,
    id: entry.id,
    parent: entry.parent,
    root: entry.root,
    machine: entry.machine,
    systemId: entry.systemId,
    graph: entry.graph,
    ...(entry.resting ? { resting: true } : {}),
    status: entry.status,
    changedAt: seq,
  };
  if (entry.value !== undefined) view.value = entry.value;
  if (entry.context !== undefined) view.context = entry.context;
  if (entry.output !== undefined) view.output = entry.output;
  if (entry.error !== undefined) view.error = entry.error;
  return view;
};

const findAgent = (state: ReplayState, name: string): AgentView | undefined => {
  for (const team of Object.values(state.teams)) {
    for (const agent of team.agents) if (agent.name === name) return agent;
  }
  return undefined;
};

const applyRuntime = (state: ReplayState, event: Extract<TraceRecord, { kind: "runtime" }>["event"]) => {
  switch (event.type) {
    case "agent.state": {
      const agent = findAgent(state, event.agent);
      if (agent) agent.state = event.state;
      return;
    }
    case "breaker.changed": {
      const agent = findAgent(state, event.agent);
      if (agent) {
        agent.breaker = event.to;
        agent.failures = event.failures;
      }
      return;
    }
    case "task.claimed": {
      const agent = findAgent(state, event.agent);
      if (agent) agent.task = event.taskId;
      return;
    }
    case "task.succeeded":
    case "task.failed":
    case "task.cancelled": {
      const agent = event.agent === null ? undefined : findAgent(state, event.agent);
      if (agent && agent.task === event.taskId) agent.task = null;
      return;
    }
    case "agent.restarted": {
      const agent = findAgent(state, event.agent);
      if (agent) {
        agent.incarnation = event.incarnation;
        agent.restarts += 1;
      }
      return;
    }
    case "supervisor.escalated":
    case "supervisor.restarted":
      for (const team of Object.values(state.teams)) {
        team.escalated = event.type === "supervisor.escalated";
        team.accepting = !team.escalated;
      }
      return;
    default:
      return;
  }
};

/** Apply one record to `state` (in place) and return it. Records for unknown actors are tolerated. */
export const applyRecord = (state: ReplayState, record: TraceRecord): ReplayState => {
  state.seq = record.seq;
  switch (record.kind) {
    case "actor":
      state.actors[record.actor] = {
        actor: record.actor,
        id: record.id,
        parent: record.parent,
        root: record.root,
        machine: record.machine,
        systemId: record.systemId,
        graph: record.graph ?? null,
        ...(record.resting ? { resting: true } : {}),
        status: "active",
        changedAt: record.seq,
      };
      return state;
    case "snapshot": {
      const view = state.actors[record.actor];
      if (!view) return state;
      if (record.status !== "active") {
        delete state.actors[record.actor];
        return state;
      }
      view.status = record.status;
      view.changedAt = record.seq;
      if (record.value !== undefined) view.value = record.value;
      if (record.context !== undefined) view.context = record.context;
      if (record.output !== undefined) view.output = record.output;
      if (record.error !== undefined) view.error = record.error;
      return state;
    }
    case "supervision":
      state.teams[record.supervisor] = teamView(record);
      return state;
    case "checkpoint": {
      state.actors = {};
      for (const entry of record.actors) state.actors[entry.actor] = actorFromCheckpoint(entry, record.seq);
      state.teams = {};
      for (const team of record.teams) state.teams[team.supervisor] = teamView(team);
      return state;
    }
    case "runtime":
      applyRuntime(state, record.event);
      return state;
    default:
      // event, microstep, machine, llm, approval: shown by the timeline and the chart, no state here.
      return state;
  }
};

/**
 * The state after the records with seq ≤ `seq`, starting from `from` (a state whose seq is at most
 * `seq`, default empty). `records` must be in seq order.
 */
export const replayTo = (
  records: readonly TraceRecord[],
  seq: number,
  from: ReplayState = createReplayState(),
): ReplayState => {
  const state = cloneReplayState(from);
  for (const record of records) {
    if (record.seq <= from.seq) continue;
    if (record.seq > seq) break;
    applyRecord(state, record);
  }
  return state;
};
