// The browser-safe half of the inspector (`@troupe/runtime/inspect/graph`): machine graph types and
// helpers and the replay reducer, with no Node built-ins, so the visualizer page bundles them.

export type {
  AgentStatusFields,
  CheckpointActor,
  TeamStatusFields,
  TraceRecord,
  TraceRecordKind,
  TraceRecordOf,
} from "../TraceRecord.ts";
export type { Json } from "../toJsonSafe.ts";
export {
  activeStateIds,
  allStateNodes,
  type InvokeGraph,
  type MachineGraph,
  type StateNodeGraph,
  type StateNodeType,
  type TransitionGraph,
  type TransitionKind,
} from "./MachineGraph.ts";
export {
  type ActorStatus,
  type ActorView,
  type AgentView,
  applyRecord,
  cloneReplayState,
  createReplayState,
  type ReplayState,
  replayTo,
  type TeamView,
} from "./replay.ts";
