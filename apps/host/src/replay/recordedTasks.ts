// The tasks of a recording: which task a record is about, and the task trees, read from the `task`
// io records (which task dispatched which). A replay runs a root task (one nobody dispatched) with
// its subtasks, so a subtask's replay command names its root. Pure: the visualizer page uses it as
// records arrive.
import type { TraceRecord } from "@troupe/runtime/inspect/graph";

/** The task a record is about, if it says (an event, runtime event, model call or approval). */
export const taskOf = (record: TraceRecord): string | null => {
  if (record.kind === "runtime") return "taskId" in record.event ? record.event.taskId : null;
  if (record.kind === "llm") return record.taskId;
  if (record.kind === "approval") return record.taskId;
  if (record.kind === "event") {
    const event = record.event as { task?: { id?: unknown }; taskId?: unknown } | null;
    const id = event?.task?.id ?? event?.taskId;
    return typeof id === "string" ? id : null;
  }
  return null;
};

/** The same, a task I/O record's task included. */
export const taskOrIoTaskOf = (record: TraceRecord): string | null =>
  record.kind === "io" ? record.taskId : taskOf(record);

/** Each task whose start is recorded, and the task that dispatched it (null: a root task). */
export type TaskParents = Map<string, string | null>;

/** Add the starts among `records` to `parents` (a new map when none is given). */
export const addTaskStarts = (
  records: Iterable<TraceRecord>,
  parents: TaskParents = new Map(),
): TaskParents => {
  for (const record of records) {
    if (record.kind !== "io" || record.port !== "task") continue;
    const parent = (record.request as { task?: { parentTaskId?: unknown } } | null)?.task?.parentTaskId;
    parents.set(record.taskId, typeof parent === "string" ? parent : null);
  }
  return parents;
};

/** The root of `taskId`'s tree, as far as `parents` knows it (a task whose start it lacks is its own). */
export const rootTaskOf = (parents: ReadonlyMap<string, string | null>, taskId: string): string => {
  let root = taskId;
  const seen = new Set([root]);
  for (let parent = parents.get(root); parent != null && !seen.has(parent); parent = parents.get(root)) {
    root = parent;
    seen.add(root);
  }
  return root;
};
