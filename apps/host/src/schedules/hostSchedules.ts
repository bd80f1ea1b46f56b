// The scheduled tasks of `troupe start`, on Discord or the console: /schedule's port on the Scheduler
// of @troupe/agents. Jobs are saved in the host's snapshot store (they survive a restart; a run missed
// while the host was down runs once at start), and each run is a new task on the durable work queue,
// answered in the channel it was scheduled from. A run whose schedule asks for it (`notify`, else the
// host's TROUPE_NOTIFY_TASKS) also has its outcome sent to the notifier (taskOutcomeAlerts.ts).
import { parseSchedule, type ScheduledJob, Scheduler } from "@troupe/agents";
import {
  type EventBus,
  isTroupeError,
  type Logger,
  newId,
  type ScheduledRun,
  type SnapshotStore,
  type SurfaceSchedule,
  type SurfaceSchedules,
  TroupeError,
  type WorkQueue,
} from "@troupe/runtime";
import type { Notifier, TaskNotify } from "@troupe/runtime/notify";
import { createTaskOutcomeAlerts } from "../notify/taskOutcomeAlerts.ts";

/** What it takes to send scheduled runs' outcomes to the notifier. */
export interface ScheduleOutcomes {
  readonly notifier: Pick<Notifier, "notify">;
  /** Which runs' outcomes are sent when their schedule does not say (TROUPE_NOTIFY_TASKS). */
  readonly byDefault: TaskNotify;
  readonly bus: EventBus;
  /** The agents' notification form (`team.formatterFor("notification")`). */
  readonly format: (agent: string, output: unknown) => string;
}

export interface HostSchedules extends SurfaceSchedules {
  /** Load the saved jobs and arm their timers (after whoever answers the runs has subscribed). */
  start(): Promise<void>;
  stop(): void;
}

const viewOf = (job: ScheduledJob): SurfaceSchedule => ({
  id: job.id,
  schedule: job.schedule,
  text: job.text,
  ...(job.agent ? { agent: job.agent } : {}),
  ...(job.notify ? { notify: job.notify } : {}),
  nextRunAt: job.nextRunAt,
  runs: job.runs,
});

/** `when` as parseSchedule reads it: a cron expression (which has spaces) in quotes. */
const quoted = (when: string) => {
  const trimmed = when.trim();
  return /^(every|at)\s/i.test(trimmed) || /^["@]/.test(trimmed) ? trimmed : `"${trimmed}"`;
};

/** `when` and `text` as a schedule; a bad `when` says how to write it as /schedule's option. */
const parseWhen = (when: string, text: string) => {
  try {
    return parseSchedule(`${quoted(when)} ${text}`);
  } catch (error) {
    if (!isTroupeError(error, "InvalidCommand")) throw error;
    throw new TroupeError(
      "InvalidCommand",
      `${error.reason.replace(/\. Use \/schedule[\s\S]*$/, "")}. Write \`when\` as every 5m, at 2026-12-01T09:00:00Z, or a cron expression such as 0 9 * * 1-5.`,
    );
  }
};

export const createHostSchedules = (options: {
  readonly store: SnapshotStore;
  readonly queue: WorkQueue;
  readonly logger: Logger;
  /** Where runs' outcomes are sent (the team's bus and notification form, the host's notifier). */
  readonly outcomes?: ScheduleOutcomes;
}): HostSchedules => {
  const { queue, logger } = options;
  const outcomes = options.outcomes && {
    alerts: createTaskOutcomeAlerts({ ...options.outcomes, store: options.store, queue, logger }),
    byDefault: options.outcomes.byDefault,
  };
  const listeners = new Set<(run: ScheduledRun) => void>();
  const scheduler = new Scheduler({
    store: options.store,
    async submit(input, job) {
      const taskId = newId("t");
      const enqueue = () => queue.enqueue({ id: taskId, input: { ...input, id: taskId } });
      if (outcomes)
        await outcomes.alerts.watch(
          {
            taskId,
            agent: job.agent ?? "",
            label: `${job.agent ? `${job.agent} · ` : ""}scheduled ${job.id} (${job.schedule})`,
            notify: job.notify ?? outcomes.byDefault,
          },
          enqueue,
        );
      else await enqueue();
      logger.log("info", "scheduler: a scheduled task was queued", { scheduleId: job.id, taskId });
      const run: ScheduledRun = {
        taskId,
        scheduleId: job.id,
        ...(job.agent ? { agent: job.agent } : {}),
        ...(job.channel ? { channelId: job.channel } : {}),
      };
      for (const listener of listeners) listener(run);
    },
    onError: (error, job) =>
      logger.log("error", "scheduler: a scheduled task could not be queued", {
        scheduleId: job.id,
        error: error instanceof Error ? error.message : String(error),
      }),
  });
  return {
    async add(request) {
      const { spec, text } = parseWhen(request.when, request.text);
      const job = await scheduler.schedule(spec, text, {
        agent: request.agent,
        notify: request.notify,
        from: request.from,
        channel: request.channelId,
      });
      logger.log("info", "scheduler: a task was scheduled", { scheduleId: job.id, schedule: job.schedule });
      return viewOf(job);
    },
    list: () => scheduler.list().map(viewOf),
    cancel: (id) => scheduler.unschedule(id),
    onRun(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      await outcomes?.alerts.resume();
      await scheduler.start();
    },
    stop() {
      scheduler.stop();
      outcomes?.alerts.stop();
    },
  };
};
