// Retrying a dead letter: its task's input again as a new work item, under a new id, so the old task's
// record and dead letter stay as they were. The surfaces' /retry (SurfaceCommands.ts) queues the item
// and follows it.
import { newId } from "../task/Task.ts";
import type { WorkItem, WorkQueue } from "./WorkQueue.ts";

/** How many of the latest dead letters a retry looks through for the task id. */
const SEARCHED = 1_000;

/** The work item that retries the dead-lettered task `taskId`; undefined when no dead letter has that id. */
export const retryOfDeadLetter = async (queue: WorkQueue, taskId: string): Promise<WorkItem | undefined> => {
  const dead = (await queue.deadLetters(SEARCHED)).findLast((letter) => letter.taskId === taskId);
  if (!dead) return undefined;
  const { id: _oldId, ...input } = dead.input;
  return { id: newId("t"), input };
};
