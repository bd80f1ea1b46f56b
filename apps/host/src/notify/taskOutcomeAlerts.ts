// The outcomes of scheduled runs on the notifier, for the runs nobody watches (a report at 3 am whose
// owner wants it on their phone). Each run whose schedule asks for it (`notify`, else
// TROUPE_NOTIFY_TASKS) is remembered in the host's store (`notify/task/<taskId>`) before it is
// queued, followed to its outcome on the work queue (event plus re-check), and, when that outcome is
// worth it, raised once as `task~<taskId>` with the agent's notification form. The mark is removed
// only once the outbox has the alert, so a host that restarts (or takes the schedules over from
// another host) follows the marked runs again; raising an alert twice adds nothing to the outbox,
// which keeps it exactly once.
import {
  createTaskFollower,
  type EndedRecord,
  type EventBus,
  isEnded,
  type Logger,
  type SnapshotStore,
  type WorkQueue,
} from "@troupe/runtime";
import { type Notifier, notifiesOf, taskOutcomeAlert } from "@troupe/runtime/notify";
import { Schema } from "effect";

/** What is kept about a run until its outcome was handed to the notifier. */
const WatchedRun = Schema.Struct({
  taskId: Schema.String,
  agent: Schema.String,
  label: Schema.String,
  notify: Schema.Literals(["all", "failed", "off"]),
});
export type WatchedRun = typeof WatchedRun.Type;

const decodeRun = Schema.decodeUnknownSync(WatchedRun);
const PREFIX = "notify/task/";

export interface TaskOutcomeAlerts {
  /**
   * Mark a run, queue it (`enqueue`) and follow it; a run whose `notify` is off is only queued. When
   * `enqueue` fails the mark goes and the error is thrown on.
   */
  watch(run: WatchedRun, enqueue: () => Promise<void>): Promise<void>;
  /** Follow the runs a previous run of the host (or another host) left marked. */
  resume(): Promise<void>;
  /** Stop following (the marks stay for the next start). */
  stop(): void;
}

export const createTaskOutcomeAlerts = (options: {
  readonly store: SnapshotStore;
  readonly queue: WorkQueue;
  readonly bus: EventBus;
  readonly notifier: Pick<Notifier, "notify">;
  /** The agents' notification form (`team.formatterFor("notification")`). */
  readonly format: (agent: string, output: unknown) => string;
  readonly logger: Logger;
}): TaskOutcomeAlerts => {
  const { store, queue, logger } = options;
  const follower = createTaskFollower(queue, options.bus);
  const stopping = new AbortController();
  const following = new Set<string>();

  const report = async (run: WatchedRun, record: EndedRecord) => {
    if (notifiesOf(run.notify, record.status)) {
      const receipt = await options.notifier.notify(
        taskOutcomeAlert({ record, agent: run.agent, label: run.label, format: options.format }),
      );
      logger.log("info", "notifier: a scheduled run's outcome was raised", {
        taskId: run.taskId,
        status: record.status,
        alertId: receipt.alertId,
        added: receipt.added,
      });
    }
    await store.delete(`${PREFIX}${run.taskId}`);
  };

  const follow = (run: WatchedRun) => {
    if (following.has(run.taskId)) return;
    following.add(run.taskId);
    void follower
      .follow(run.taskId, stopping.signal)
      .then((record) => (record ? report(run, record) : undefined))
      .catch((error: unknown) =>
        // The mark stays: the next start follows the run again.
        logger.log("error", "notifier: a scheduled run's outcome could not be raised", {
          taskId: run.taskId,
          error: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(() => following.delete(run.taskId));
  };

  return {
    async watch(run, enqueue) {
      if (run.notify === "off") return enqueue();
      const key = `${PREFIX}${run.taskId}`;
      await store.save(key, run);
      try {
        await enqueue();
      } catch (error) {
        await store.delete(key).catch(() => {});
        throw error;
      }
      follow(run);
    },
    async resume() {
      for (const key of await store.keys(PREFIX)) {
        try {
          const saved = await store.load(key);
          if (saved === undefined) continue; // another host resuming too reported it just now
          const run = decodeRun(saved);
          const record = await queue.record(run.taskId);
          // Marked, then the host stopped before the task was queued: there is nothing to wait for.
          if (record === undefined) await store.delete(key);
          else if (isEnded(record)) await report(run, record);
          else follow(run);
        } catch (error) {
          logger.log("error", "notifier: a marked scheduled run could not be resumed", {
            key,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    },
    stop() {
      stopping.abort();
      follower.close();
    },
  };
};
