// The task trees of a recording, read from its `task` io records: which task dispatched which. A
// replay runs a root task (one nobody dispatched) with its subtasks, so a subtask's replay command
// names its root. Pure: the visualizer page keeps the same map as records arrive.
import type { TraceRecord } from "@troupe/runtime/inspect/graph";

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
