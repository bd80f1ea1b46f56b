// Where the tasks of a rotated trace file started: the host's trace folder starts a new file each
// UTC day and past 64 MiB, so a task running then has its later records in one file and its start
// (the `task` io record a replay begins from) in an earlier one. `troupe replay` is given the file a
// task starts in and reads on from there, so the visualizer's replay command for such a task names
// that earlier file. Only the files before the trace in its own folder are read, newest first, and
// only until every missing start is found.
import { createReadStream } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { decodeTraceLine, listTraceFiles, type TraceRecord } from "@troupe/runtime";
import { addTaskStarts, type TaskParents, taskOrIoTaskOf } from "./recordedTasks.ts";

/** A task's start in an earlier file: that file, and the task that dispatched it (null: a root). */
export interface EarlierStart {
  readonly file: string;
  readonly parent: string | null;
}

/** The task starts a trace file holds; only their lines are decoded (a file may be 64 MiB). */
const taskStartsIn = async (file: string): Promise<TaskParents> => {
  const starts: TraceRecord[] = [];
  for await (const line of createInterface({
    input: createReadStream(file),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    // A task's io record is a line of its own or an entry of a pack line (`,"task",1,`).
    if (!(line.includes('"port":"task"') || line.includes('"kind":"pack"'))) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      continue;
    }
    for (const record of decodeTraceLine(json).records)
      if (record.kind === "io" && record.port === "task") starts.push(record);
  }
  return addTaskStarts(starts);
};

/** The starts, in the earlier files of `trace`'s folder, of the tasks `records` have but do not start. */
export const earlierTaskStarts = async (
  trace: string,
  records: readonly TraceRecord[],
): Promise<Record<string, EarlierStart>> => {
  const known = addTaskStarts(records);
  const missing = new Set<string>();
  const want = (taskId: string) => {
    if (!known.has(taskId)) missing.add(taskId);
  };
  for (const record of records) {
    const taskId = taskOrIoTaskOf(record);
    if (taskId !== null) want(taskId);
  }
  for (const parent of known.values()) if (parent !== null) want(parent);
  const found: Record<string, EarlierStart> = {};
  if (missing.size === 0) return found;
  const path = resolve(trace);
  const folder = await listTraceFiles(dirname(path));
  const earlier = folder.slice(0, Math.max(0, folder.indexOf(path))).reverse();
  for (const file of earlier) {
    const starts = await taskStartsIn(file);
    // A start found here may name a parent that started earlier still (here or in an older file).
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const taskId of [...missing]) {
        const parent = starts.get(taskId);
        if (parent === undefined) continue;
        found[taskId] = { file, parent };
        known.set(taskId, parent);
        missing.delete(taskId);
        if (parent !== null) want(parent);
        progressed = true;
      }
    }
    if (missing.size === 0) break;
  }
  return found;
};
