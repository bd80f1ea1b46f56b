// The port /schedule talks to: scheduled tasks that a person creates, lists and cancels from a chat
// surface, and that run later on the team. The runtime does not schedule anything itself; the host
// implements this with the scheduler of @troupe/agents, so the core never depends on it. A schedule
// may ask for its runs' outcomes on the notifier (`notify`), for the runs nobody watches.
import type { TaskNotify } from "../notify/taskOutcomeAlert.ts";

/** A scheduled task as a chat surface shows it. */
export interface SurfaceSchedule {
  readonly id: string;
  /** As a person reads it: "every 5m", "at <ISO>", a cron expression. */
  readonly schedule: string;
  readonly text: string;
  readonly agent?: string;
  /** Which runs' outcomes go to the notifier; absent: the host's default (TROUPE_NOTIFY_TASKS). */
  readonly notify?: TaskNotify;
  /** Next run (epoch ms); null once a one-shot has run. */
  readonly nextRunAt: number | null;
  readonly runs: number;
}

/** One run of a scheduled task: queued as `taskId`, to be answered in `channelId`. */
export interface ScheduledRun {
  readonly taskId: string;
  readonly scheduleId: string;
  readonly agent?: string;
  readonly channelId?: string;
}

export interface SurfaceSchedules {
  /**
   * Schedule `text` (for `agent`, or routed by the team's rules) at `when`: "every 5m", "at <ISO time>",
   * a cron expression or nickname. Rejects with a TroupeError saying what to write when `when` is not
   * one of those or lies in the past.
   */
  add(request: {
    readonly when: string;
    readonly text: string;
    readonly agent?: string;
    /** Which runs' outcomes go to the notifier (all, failed, off); the host's default when absent. */
    readonly notify?: TaskNotify;
    readonly from: string;
    readonly channelId: string;
  }): Promise<SurfaceSchedule>;
  list(): readonly SurfaceSchedule[];
  /** False when no scheduled task has that id. */
  cancel(id: string): Promise<boolean>;
  /** Runs as they are queued; returns unsubscribe. */
  onRun(listener: (run: ScheduledRun) => void): () => void;
}
