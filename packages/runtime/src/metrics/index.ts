// @troupe/runtime/metrics: the runtime's Prometheus metrics (prom-client) for a team, served by the
// host at /metrics. A separate entry so code that does not serve metrics never loads prom-client.

export { createDiscordMetrics, type DiscordMetricsHook, statusClass } from "./DiscordMetrics.ts";
export { createFileDropMetrics, type FileDropMetricsHook } from "./FileDropMetrics.ts";
export { createMirrorMetrics, type MirrorMetricsHook } from "./MirrorMetrics.ts";
export {
  createNotifierMetrics,
  createWorkQueueMetrics,
  FAILURE_REASONS,
  type NotifierMetricsOptions,
} from "./NotifierMetrics.ts";
export {
  breakerStateValue,
  createLlmMetrics,
  createRuntimeMetrics,
  NO_AGENT,
  NO_ROLE,
  type RuntimeMetrics,
  type RuntimeMetricsOptions,
  type TaskOutcome,
} from "./RuntimeMetrics.ts";
