// The system monitor's result as an Effect Schema: what a report holds, so it can be checked when it
// crosses a process and formatted for chat, plain text and notifications from the same value.
import { Schema } from "effect";

export const LoadReport = Schema.Struct({
  one: Schema.Number,
  five: Schema.Number,
  fifteen: Schema.Number,
  cpus: Schema.Number,
});
export type LoadReport = typeof LoadReport.Type;

const usage = {
  totalBytes: Schema.Number,
  freeBytes: Schema.Number,
  usedBytes: Schema.Number,
  /** usedBytes / totalBytes, 0–1. */
  usedRatio: Schema.Number,
};
export const MemoryReport = Schema.Struct(usage);
export type MemoryReport = typeof MemoryReport.Type;

export const DiskReport = Schema.Struct({ path: Schema.String, ...usage });
export type DiskReport = typeof DiskReport.Type;

export const RuntimeHealth = Schema.Struct({
  agents: Schema.Number,
  openBreakers: Schema.Array(Schema.String),
  halfOpenBreakers: Schema.Array(Schema.String),
  /** Tasks waiting, over the whole team. */
  queued: Schema.Number,
  inFlight: Schema.Number,
  /** The agent with the deepest queue, when any agent has a queue. */
  deepestQueue: Schema.NullOr(Schema.Struct({ agent: Schema.String, depth: Schema.Number })),
  accepting: Schema.Boolean,
  escalated: Schema.Boolean,
  /** `heartbeat.missed` since the previous check (null without the team's bus). */
  missedHeartbeats: Schema.NullOr(Schema.Number),
  /** Dead letters (from `deadLetters`, else dead-lettered since the previous check; null when unknown). */
  deadLetters: Schema.NullOr(Schema.Number),
});
export type RuntimeHealth = typeof RuntimeHealth.Type;

export const ActiveAlert = Schema.Struct({
  alertId: Schema.String,
  severity: Schema.Literals(["info", "warning", "critical"]),
  title: Schema.String,
  text: Schema.String,
});
export type ActiveAlert = typeof ActiveAlert.Type;

export const SystemReport = Schema.Struct({
  load: LoadReport,
  memory: MemoryReport,
  /** Null when the disk could not be read (a warning says why). */
  disk: Schema.NullOr(DiskReport),
  /** Null when the monitor was not given the team's status. */
  runtime: Schema.NullOr(RuntimeHealth),
  /** What is wrong now: the active alerts' texts, and what could not be read. */
  warnings: Schema.Array(Schema.String),
  /** Alerts up after this check (hysteresis: raised at `high`, cleared below `low`). */
  alerts: Schema.Array(ActiveAlert),
  /** What this check changed. */
  raised: Schema.Array(Schema.String),
  resolved: Schema.Array(Schema.String),
});
export type SystemReport = typeof SystemReport.Type;
