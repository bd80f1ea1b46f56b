// @troupe/agents: ready-made agents for a Troupe team, each returning a schema-typed result with
// formatters (chat markdown, plain text, a short notification) that read from the same value.

export {
  type ActionRecord,
  applyAction,
  type CodeActions,
  type CommandOutcome,
  localCodeActions,
  type ProposedAction,
  proposalTools,
  targetOf,
} from "./code/CodeActions.ts";
export {
  type CodeAgentOptions,
  CodeResult,
  CodeReview,
  codeFormatters,
  createCodeAgent,
  Finding,
} from "./code/code.ts";
export {
  ConsensusInput,
  type ConsensusRequest,
  parseConsensusText,
  readConsensusRequest,
} from "./consensus/ConsensusRequest.ts";
export { type ChoiceOfAnswer, choiceOfAnswer, exactChoice } from "./consensus/choiceOfAnswer.ts";
export {
  ConsensusResult,
  ConsensusVote,
  consensusFormatters,
  createConsensus,
} from "./consensus/consensus.ts";
export { type EchoOutput, echo } from "./echo/echo.ts";
export { defineFormatters, type Formatters, shorten, textOf } from "./format/Formatters.ts";
export {
  type AgentSummary,
  type Classification,
  type ClassifyOptions,
  type ClassifyRule,
  classifyRequest,
  defaultClassifyRules,
} from "./orchestrator/classifyRequest.ts";
export {
  createOrchestrator,
  type Orchestrator,
  type OrchestratorOptions,
  OrchestratorPart,
  OrchestratorResult,
  orchestratorFormatters,
} from "./orchestrator/orchestrator.ts";
export { MAX_PARTS, splitRequest } from "./orchestrator/splitRequest.ts";
export { type ConversationMemory, InMemoryConversations } from "./research/ConversationMemory.ts";
export {
  createResearch,
  ResearchAnswer,
  type ResearchOptions,
  ResearchPlan,
  ResearchResult,
  researchFormatters,
  Source,
} from "./research/research.ts";
export { ScheduledJob, Scheduler, type SchedulerOptions } from "./scheduler/Scheduler.ts";
export { createScheduler, SchedulerResult, schedulerFormatters } from "./scheduler/schedulerAgent.ts";
export { describeSpec, nextRunAfter, parseSchedule, type ScheduleSpec } from "./scheduler/scheduleSpec.ts";
export { type AlertSignal, AlertTracker, type Observation } from "./system-monitor/AlertTracker.ts";
export { formatBytes, formatReport, systemReportFormatters } from "./system-monitor/formatReport.ts";
export { type DiskStats, type HostProbe, nodeHostProbe } from "./system-monitor/hostProbe.ts";
export {
  ActiveAlert,
  DiskReport,
  LoadReport,
  MemoryReport,
  RuntimeHealth,
  SystemReport,
} from "./system-monitor/SystemReport.ts";
export {
  type AlertEvent,
  createSystemMonitor,
  readSystemReport,
  SystemCheck,
  type SystemMonitorOptions,
  systemMonitor,
} from "./system-monitor/systemMonitor.ts";
export {
  type Band,
  defaultThresholds,
  resolveThresholds,
  type SystemThresholds,
  type ThresholdsInput,
} from "./system-monitor/thresholds.ts";
export {
  Quote,
  QuoteRow,
  Signal,
  toQuote,
  WatchlistResult,
} from "./watchlist/Quote.ts";
export {
  fileQuoteSource,
  type HttpQuoteSourceOptions,
  httpQuoteSource,
  parseQuotesCsv,
  type QuoteSource,
  sampleQuotesCsv,
  sampleQuotesJson,
} from "./watchlist/QuoteSource.ts";
export {
  createWatchlist,
  symbolsIn,
  type WatchlistOptions,
  type WatchRule,
  watchlistFormatters,
} from "./watchlist/watchlist.ts";
