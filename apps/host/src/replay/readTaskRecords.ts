// The records `troupe replay` runs: the trace file named, and — for one task whose recording goes on
// past that file, because the host's trace folder rotated (a new day, 64 MiB) while it ran — the next
// trace files of the same folder, up to the end of the file that holds the task's outcome.
import { dirname, resolve } from "node:path";
import { listTraceFiles, readTrace, type TraceRecord } from "@troupe/runtime";

const settles = (record: TraceRecord, taskId: string) =>
  record.kind === "io" && record.port === "outcome" && record.taskId === taskId;

export const readTaskRecords = async (trace: string, taskId: string | undefined): Promise<TraceRecord[]> => {
  const records: TraceRecord[] = [];
  for await (const record of readTrace(trace)) records.push(record);
  if (taskId === undefined || records.some((record) => settles(record, taskId))) return records;
  // Not settled in this file: read on into the files the folder's rotation wrote after it.
  const path = resolve(trace);
  const folder = await listTraceFiles(dirname(path));
  const later = folder.includes(path) ? folder.slice(folder.indexOf(path) + 1) : [];
  for (const file of later) {
    let settled = false;
    for await (const record of readTrace(file)) {
      records.push(record);
      settled ||= settles(record, taskId);
    }
    // The file it settled in is read to its end: what follows the outcome (the agent back to idle,
    // the task's last event) is part of the task too.
    if (settled) return records;
  }
  return records;
};
