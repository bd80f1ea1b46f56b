// Cancelling a task by id wherever it is: running on this host's team (its signal aborts), leased by
// this host's worker and waiting for its agent (settled as cancelled), or still waiting in the durable
// work queue (withdrawn, so it never runs; its cancellation is announced on the bus as the worker
// would announce an outcome, so the console and the chat surface report it). One function for every
// front (console, slash commands), so they answer the same way.
import type { EventBus } from "../events/EventBus.ts";
import type { Team } from "../supervisor/Team.ts";
import type { Worker } from "./DurableWorker.ts";
import type { WorkQueue } from "./WorkQueue.ts";

/**
 * `cancelled`: it was running on this team and its signal aborted · `withdrawn`: taken off the queue before it ran ·
 * `elsewhere`: leased by another host's worker (cancel it there) · `ended` · `unknown`.
 */
export type CancelOutcome = "cancelled" | "withdrawn" | "elsewhere" | "ended" | "unknown";

export const cancelTask = async (
  on: {
    readonly team: Team;
    readonly queue: WorkQueue;
    readonly bus: EventBus;
    /** This host's worker: a task it leased that waits for its agent is cancelled there. */
    readonly worker?: Pick<Worker, "cancel">;
  },
  taskId: string,
  reason: string,
): Promise<CancelOutcome> => {
  if (on.team.cancel(taskId, reason)) return "cancelled";
  if (await on.worker?.cancel(taskId, reason)) return "withdrawn";
  const found = await on.queue.withdraw(taskId, reason);
  if (found === "withdrawn") {
    on.bus.publish({ type: "task.cancelled", taskId, agent: null, reason });
    on.bus.publish({ type: "task.recorded", taskId, status: "cancelled" });
    return "withdrawn";
  }
  // Leased but not running on this team: another host's worker has it (or it is about to start here).
  if (found === "running") return on.team.cancel(taskId, reason) ? "cancelled" : "elsewhere";
  return found;
};

/** What to tell the person who asked, for each outcome. */
export const cancelText = (taskId: string, outcome: CancelOutcome): string =>
  ({
    cancelled: `cancelled task ${taskId}`,
    withdrawn: `cancelled task ${taskId} before it ran (taken off the work queue)`,
    elsewhere: `task ${taskId} is running on another host; cancel it there`,
    ended: `task ${taskId} has already ended`,
    unknown: `no task has the id "${taskId}"; /status shows the running ones`,
  })[outcome];
