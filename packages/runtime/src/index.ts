// @troupe/runtime: agents as XState actors, a supervisor that routes, fans out, watches heartbeats,
// restarts and breaks circuits, and the typed event bus every bridge attaches to.
export type { AgentContext, AgentMachineInput } from "./agent/AgentContext.ts";
export {
  type AgentDefinition,
  type AgentOptions,
  type AnyAgentDefinition,
  defineAgent,
} from "./agent/defineAgent.ts";
export {
  formatOutputOf,
  type OutputForm,
  type OutputFormat,
  outputFormatter,
  readableOutput,
} from "./agent/OutputFormat.ts";
export { type TaskStepArgs, taskStep } from "./agent/taskStep.ts";
export { type ConsumerName, type ConsumerNameHolder, consumerNameInUse } from "./durable/ConsumerName.ts";
export { type CancelOutcome, cancelTask, cancelText } from "./durable/cancelTask.ts";
export {
  type DurableFanOutResult,
  type DurableFanOuts,
  durableFanOuts,
  fanOutJoinMachine,
} from "./durable/DurableFanOuts.ts";
export { backoffDelay, startWorker, type Worker, type WorkerOptions } from "./durable/DurableWorker.ts";
export { createTaskFollower, DEFAULT_RECHECK_MS, type TaskFollower } from "./durable/followTask.ts";
export { retryOfDeadLetter } from "./durable/retryOfDeadLetter.ts";
export { MemorySnapshotStore, type SnapshotStore } from "./durable/SnapshotStore.ts";
export {
  type DeadLetter,
  type EndedRecord,
  type FailureInfo,
  type FinalOutcome,
  type IdempotencyStore,
  isEnded,
  type Lease,
  type LeaseOptions,
  type QueueStats,
  type Settlement,
  type TaskRecord,
  type TaskRecordStatus,
  type WithdrawOutcome,
  type WorkItem,
  type WorkQueue,
} from "./durable/WorkQueue.ts";
export { type ErrorKind, errorKinds } from "./errors/errorKinds.ts";
export { isTroupeError, TroupeError, type TroupeErrorTag } from "./errors/TroupeError.ts";
export * from "./events/catalogue.ts";
export { EventBus, type Listener } from "./events/EventBus.ts";
export {
  type Approval,
  type ApprovalAnswer,
  type ApprovalRequest,
  bindAction,
  DEFAULT_APPROVAL_EXPIRY_MS,
} from "./human/Approval.ts";
export { canonicalJson } from "./human/canonicalJson.ts";
export {
  DEFAULT_POLL_EXPIRY_MS,
  MAX_POLL_CHOICES,
  type PollOptions,
  type PollRequest,
  type PollResult,
  PollTally,
  type PollVote,
  type ValidPoll,
  validatePoll,
} from "./human/Poll.ts";
export type { PollContext, PollGateway } from "./human/requestPoll.ts";
export {
  ActorRecord,
  CONTEXT_NOT_RECORDED,
  createInspector,
  type Divergence,
  decodeTraceLine,
  decodeTraceRecord,
  describeDivergence,
  EventRecord,
  type ForkOptions,
  type ForkPoint,
  forkTask,
  type Inspector,
  type InspectorOptions,
  IoRecord,
  type Json,
  type LineListener,
  listTraceFiles,
  MalformedTraceError,
  type MalformedTraceLine,
  MicrostepRecord,
  type ReadTraceOptions,
  type RecordTraceOptions,
  type ReplayOptions,
  type ReplayResult,
  type ReplayTeam,
  RuntimeRecord,
  readTrace,
  recordTaskIo,
  recordTrace,
  redactTraceValue,
  replayableTasks,
  replayTasks,
  runOf,
  SnapshotRecord,
  type TaskIoRecorder,
  TRACE_FORMAT_VERSION,
  TraceFiles,
  type TraceFilesOptions,
  type TraceListener,
  TraceRecord,
  type TraceRecording,
  type TraceRecordKind,
  type TraceRecordOf,
  toJsonSafe,
} from "./inspect/index.ts";
export { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "./internal/privateFiles.ts";
export { jsonLogger, type Logger, type LogLevel, redact, silentLogger } from "./log/Logger.ts";
export { maskSecrets, redactText, redactUrl, secretsInUrl } from "./log/redactSecrets.ts";
export type { FanOutBranchResult, FanOutResult } from "./supervisor/FanOutJoins.ts";
export { type BranchOutcome, type JoinPolicy, joinName } from "./supervisor/joinPolicy.ts";
export type { RestartStrategy } from "./supervisor/restartStrategy.ts";
export {
  type Allocation,
  type AllocationOption,
  type Classifier,
  type Route,
  type RouteMatch,
  route,
} from "./supervisor/routing.ts";
export type {
  AgentStatus,
  Escalation,
  HumanGateway,
  TeamLifecycle,
  TeamStatus,
} from "./supervisor/SupervisorCore.ts";
export { supervisorMachine } from "./supervisor/supervisorMachine.ts";
export type { TaskIo, TaskOutcome } from "./supervisor/TaskIo.ts";
export {
  createSupervisor,
  type FanOutOptions,
  type LazyChild,
  type Run,
  type SupervisorOptions,
  supervisorInput,
  Team,
} from "./supervisor/Team.ts";
export {
  type CatchUpReport,
  type CatchUpSettings,
  DEFAULT_CATCH_UP,
} from "./surface/catchUp.ts";
export { EMBED_LIMITS, embedLength, fitEmbeds } from "./surface/fitEmbeds.ts";
export { isTransientSurfaceError } from "./surface/isTransientSurfaceError.ts";
export { retryText } from "./surface/outcomePosts.ts";
export { planReply, type ReplyLimits, type ReplyPlan } from "./surface/planReply.ts";
export {
  type ApplyReaction,
  ReactionCoalescer,
  type ReactionCoalescerOptions,
  type ReactionStats,
} from "./surface/ReactionCoalescer.ts";
export { type ChannelMap, type InboundRoute, needsOf, routeInbound } from "./surface/routeInbound.ts";
export type { SpooledOperation } from "./surface/SpoolDirectory.ts";
export type {
  InboundCommand,
  InboundMessage,
  InboundReaction,
  MissedMessages,
  Surface,
  SurfaceEmbed,
  SurfaceEmbedField,
  SurfaceFile,
  SurfaceIdentity,
  SurfaceMessageRef,
  SurfacePost,
  SurfaceSession,
} from "./surface/Surface.ts";
export {
  type SurfaceBridge,
  type SurfaceBridgeOptions,
  type SurfaceBridgeStats,
  startSurfaceBridge,
  taskIdOfMessage,
} from "./surface/SurfaceBridge.ts";
export {
  handleSurfaceCommands,
  SURFACE_COMMANDS,
  type SurfaceCommands,
  type SurfaceCommandsOptions,
} from "./surface/SurfaceCommands.ts";
export {
  createSurfaceHumanGateway,
  type SurfaceHumanGateway,
  type SurfaceHumanGatewayOptions,
} from "./surface/SurfaceHumanGateway.ts";
export type { ScheduledRun, SurfaceSchedule, SurfaceSchedules } from "./surface/SurfaceSchedules.ts";
export { type StatusSymbol, statusSymbolSet, statusSymbols, statusText } from "./surface/statusSymbols.ts";
export { teamStateText } from "./surface/teamStateText.ts";
export { MAX_THREAD_NAME, threadNameFor } from "./surface/threadName.ts";
export {
  type FileDropOptions,
  type FileDropOutcome,
  type FileDropStats,
  type FileDropSurface,
  withFileDrop,
} from "./surface/withFileDrop.ts";
export {
  AGENT_NAME,
  addressedTo,
  type LeadingMention,
  leadingMention,
  mentionsIn,
  withoutMentionOf,
} from "./task/mentions.ts";
export { ConversationTurn, newId, type Task, TaskInput } from "./task/Task.ts";
export {
  checkTaskId,
  checkTaskSize,
  DEFAULT_MAX_TASK_BYTES,
  TASK_ID_PATTERN,
  TASK_ID_RULE,
  taskInputBytes,
  tooLargeReason,
} from "./task/taskLimits.ts";
export { formatTable } from "./text/formatTable.ts";
export { type MessagePart, renderPart, splitMessage, splitMessageParts } from "./text/splitMessage.ts";
export { type Clock, systemClock } from "./time/Clock.ts";
export { type Duration, formatMillis, toMillis } from "./time/duration.ts";
