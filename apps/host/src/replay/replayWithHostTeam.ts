// A replay of recorded tasks on the host's team, as `troupe replay` and `troupe inspect --replay`
// run it: the recorded records, the host's agents for the recorded team (and a program's own), the
// host's redaction. Identical, or the first divergence — with the trace record to show it at and
// the root task whose replay reproduces it.
import {
  type AnyAgentDefinition,
  type Divergence,
  type ReplayResult,
  redactTraceValue,
  replayTasks,
  type TraceRecord,
} from "@troupe/runtime";
import { hostReplayTeam } from "./hostReplayTeam.ts";
import { addTaskStarts, rootTaskOf } from "./recordedTasks.ts";

export interface ReplayRequest {
  /** Replay only this task (and its subtasks); every finished root task when absent. */
  readonly taskId?: string;
  /** The agents a program gave `main()`, for a recording whose team had them. */
  readonly extraAgents?: readonly AnyAgentDefinition[];
}

/** Where a divergence is shown: the record it is at, and the root task to replay to see it again. */
export interface DivergencePoint {
  /**
   * The trace record: the one the replay expected, else (the replay did something the recording
   * has nothing for) the task's last recorded I/O; null when the trace has none.
   */
  readonly seq: number | null;
  readonly rootTaskId: string;
}

/** Replay `records` with the host's team. Rejects with a reason a person can act on (a task not in it). */
export const replayWithHostTeam = (
  records: readonly TraceRecord[],
  request: ReplayRequest,
): Promise<ReplayResult> =>
  replayTasks(records, {
    team: (names) => hostReplayTeam(names, request.extraAgents),
    redact: redactTraceValue,
    ...(request.taskId !== undefined ? { taskId: request.taskId } : {}),
  });

export const divergencePoint = (records: readonly TraceRecord[], divergence: Divergence): DivergencePoint => {
  let seq = divergence.traceSeq;
  if (seq === null)
    for (const record of records)
      if (record.kind === "io" && record.taskId === divergence.taskId) seq = record.seq;
  return { seq, rootTaskId: rootTaskOf(addTaskStarts(records), divergence.taskId) };
};
