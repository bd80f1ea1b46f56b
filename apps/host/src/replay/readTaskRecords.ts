// The records `troupe replay` runs: the trace file named, and — for one task whose recording goes on
// past that file, because the host's trace folder rotated (a new day, 64 MiB) while it ran — the next
// trace files of the same folder, up to a few records past the task's outcome (the agent back to
// idle, the task's last events, which may fall into the next file). An outcome the task's queue
// retried (`task.retrying`), or one followed by another delivery of the task, is not its last: the
// records are read on to the outcome of its last run, which is the one replayed.
import { dirname, resolve } from "node:path";
import { listTraceFiles, readTrace, type TraceRecord } from "@troupe/runtime";

/** How many records past its outcome are read for a task: what follows it in the same turn. */
const TAIL = 16;

const settles = (record: TraceRecord, taskId: string) =>
  record.kind === "io" && record.port === "outcome" && record.taskId === taskId;

/** The task runs again after an outcome: it is retried, or delivered again (its last run is replayed). */
const runsAgain = (record: TraceRecord, taskId: string) =>
  (record.kind === "io" && record.port === "task" && record.taskId === taskId) ||
  (record.kind === "runtime" && record.event.type === "task.retrying" && record.event.taskId === taskId);

export const readTaskRecords = async (trace: string, taskId: string | undefined): Promise<TraceRecord[]> => {
  const records: TraceRecord[] = [];
  let afterOutcome: number | undefined;
  const read = async (file: string) => {
    for await (const record of readTrace(file)) {
      records.push(record);
      if (taskId !== undefined && runsAgain(record, taskId)) afterOutcome = undefined;
      else if (afterOutcome !== undefined) afterOutcome += 1;
      else if (taskId !== undefined && settles(record, taskId)) afterOutcome = 0;
      if (afterOutcome !== undefined && afterOutcome >= TAIL && file !== trace) return;
    }
  };
  await read(trace);
  if (taskId === undefined || (afterOutcome !== undefined && afterOutcome >= TAIL)) return records;
  // Not settled in this file, or just before its end: read on into the files the rotation wrote next.
  const path = resolve(trace);
  const folder = await listTraceFiles(dirname(path));
  for (const file of folder.includes(path) ? folder.slice(folder.indexOf(path) + 1) : []) {
    const settledBefore = afterOutcome !== undefined;
    await read(file);
    if (afterOutcome !== undefined && (settledBefore || afterOutcome >= TAIL)) return records;
  }
  return records;
};
