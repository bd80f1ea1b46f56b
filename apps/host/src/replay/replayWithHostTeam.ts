// A replay of recorded tasks on the host's team, as `troupe replay` and `troupe inspect --replay`
// run it: the recorded records, the host's agents for the recorded team (and a program's own), the
// host's redaction. Identical, or the first divergence — described as a person reads it (with a
// note when its agent is one the host cannot build), with the trace record to show it at and the
// root task whose replay reproduces it.
import {
  type AnyAgentDefinition,
  type Divergence,
  describeDivergence,
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

export interface HostReplay {
  readonly result: ReplayResult;
  /** The agents the replay could build, to explain a divergence on one it could not. */
  readonly built: ReadonlySet<string>;
}

/** Replay `records` with the host's team. Rejects with a reason a person can act on (a task not in it). */
export const replayWithHostTeam = async (
  records: readonly TraceRecord[],
  request: ReplayRequest,
): Promise<HostReplay> => {
  const built = new Set<string>();
  const result = await replayTasks(records, {
    team: (names) => {
      const team = hostReplayTeam(names, request.extraAgents);
      for (const agent of team.agents) built.add(agent.name);
      return team;
    },
    redact: redactTraceValue,
    ...(request.taskId !== undefined ? { taskId: request.taskId } : {}),
  });
  return { result, built };
};

/** The divergence in a few lines (`describeDivergence`), and why when its agent was not built. */
export const divergenceText = (divergence: Divergence, built: ReadonlySet<string>): string => {
  const { actor } = divergence;
  const unbuilt = actor !== "supervisor" && built.size > 0 && !built.has(actor);
  return `${describeDivergence(divergence)}${
    unbuilt
      ? `\n  note: agent "${actor}" is not one this host can build for a replay (echo and the TROUPE_AGENTS agents are); replay a program's own agents with replayTrace in that program`
      : ""
  }`;
};

export const divergencePoint = (records: readonly TraceRecord[], divergence: Divergence): DivergencePoint => {
  let seq = divergence.traceSeq;
  if (seq === null)
    for (const record of records)
      if (record.kind === "io" && record.taskId === divergence.taskId) seq = record.seq;
  return { seq, rootTaskId: rootTaskOf(addTaskStarts(records), divergence.taskId) };
};
