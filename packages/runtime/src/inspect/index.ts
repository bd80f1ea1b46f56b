// The Inspector's public face: record XState inspection events and runtime events, write them as a
// JSONL trace, read a trace back.
export {
  CONTEXT_NOT_RECORDED,
  createInspector,
  type Inspector,
  type InspectorOptions,
  type IoInput,
  type LineListener,
  type TraceListener,
} from "./Inspector.ts";
export {
  decodeTraceLine,
  decodeTraceRecord,
  MalformedTraceError,
  type MalformedTraceLine,
  type ReadTraceOptions,
  readTrace,
} from "./readTrace.ts";
export { type RecordTraceOptions, recordTrace, type TraceRecording } from "./recordTrace.ts";
export { redactTraceValue } from "./redactTraceValue.ts";
export { type Difference, describeDivergence, firstDifference } from "./replay/describeDivergence.ts";
export { recordTaskIo, type TaskIoRecorder } from "./replay/recordTaskIo.ts";
export type { Divergence, ForkPoint } from "./replay/replayingPorts.ts";
export {
  type ForkOptions,
  forkTask,
  type ReplayOptions,
  type ReplayResult,
  type ReplayTeam,
  replayableTasks,
  replayTasks,
  runOf,
} from "./replay/replayTasks.ts";
export { listTraceFiles, TraceFiles, type TraceFilesOptions } from "./TraceFiles.ts";
export {
  ActorRecord,
  EventRecord,
  IoRecord,
  MicrostepRecord,
  RuntimeRecord,
  SnapshotRecord,
  TRACE_FORMAT_VERSION,
  TraceRecord,
  type TraceRecordKind,
  type TraceRecordOf,
} from "./TraceRecord.ts";
export { type Json, type Redact, toJsonSafe } from "./toJsonSafe.ts";
