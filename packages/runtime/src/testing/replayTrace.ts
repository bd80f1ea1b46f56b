// A recorded trace as a regression test, in one line:
//   it("answers as recorded", () => replayTrace("test/fixtures/traces/echo.jsonl", { team }));
// The trace's tasks run again offline against today's agents (replayTasks); the promise resolves
// with the number of tasks when every one is identical and rejects with the first divergence,
// described (task, actor, seq, where expected and got differ), when one is not.
import { readTrace } from "../inspect/readTrace.ts";
import { redactTraceValue } from "../inspect/redactTraceValue.ts";
import { describeDivergence } from "../inspect/replay/describeDivergence.ts";
import { type ReplayOptions, replayTasks } from "../inspect/replay/replayTasks.ts";
import type { TraceRecord } from "../inspect/TraceRecord.ts";

export class ReplayDivergedError extends Error {
  override readonly name = "ReplayDivergedError";
}

/** Replay every task of the trace at `path` (redacted as the host records); resolves with their count. */
export const replayTrace = async (
  path: string,
  options: Omit<ReplayOptions, "redact"> & Partial<Pick<ReplayOptions, "redact">>,
): Promise<number> => {
  const records: TraceRecord[] = [];
  for await (const record of readTrace(path)) records.push(record);
  const result = await replayTasks(records, { redact: redactTraceValue, ...options });
  if (!result.identical) throw new ReplayDivergedError(`${path}: ${describeDivergence(result.divergence)}`);
  if (result.tasks === 0) throw new ReplayDivergedError(`${path}: the trace has no finished task to replay`);
  return result.tasks;
};
