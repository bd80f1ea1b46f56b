// A task's outcome as an alert, for tasks whose owner asked to hear how they ended (a scheduled task
// that runs at 3 am): which outcomes are worth one (`notify`: all, failed, off), and the alert itself
// — one stable id per task (`task~<taskId>`, so a retry, a second host or a restart that raises it
// again adds nothing to the outbox), info when it succeeded or was cancelled, warning when it ended
// in the dead letters, the title naming the task, and the text in the agent's notification form.
import type { EndedRecord } from "../durable/WorkQueue.ts";
import { type Alert, deriveAlertId } from "./Alert.ts";

/** Which outcomes of a task raise an alert: every one, only a failure (a dead letter), or none. */
export const TASK_NOTIFY_LEVELS = ["all", "failed", "off"] as const;
export type TaskNotify = (typeof TASK_NOTIFY_LEVELS)[number];

export const isTaskNotify = (value: unknown): value is TaskNotify =>
  TASK_NOTIFY_LEVELS.includes(value as TaskNotify);

/** Whether `status` (how the task ended) is worth an alert at `level`. */
export const notifiesOf = (level: TaskNotify, status: EndedRecord["status"]): boolean =>
  level === "all" || (level === "failed" && status === "dead");

/** The alert id of a task's outcome. */
export const taskAlertId = (taskId: string): string => deriveAlertId("task", taskId);

const ENDINGS: Record<EndedRecord["status"], string> = {
  succeeded: "done",
  cancelled: "cancelled",
  dead: "failed",
};

export interface TaskOutcome {
  readonly record: EndedRecord;
  /** The agent that ran it ("" when the team routed it and nobody knows which). */
  readonly agent: string;
  /** What the task is, for the title: "research · job-1a2b (0 3 * * *)". */
  readonly label: string;
  /** The agent's notification form of an output (`team.formatterFor("notification")`). */
  readonly format: (agent: string, output: unknown) => string;
}

/** The alert of a task's outcome (the notifier checks it at the door). */
export const taskOutcomeAlert = ({ record, agent, label, format }: TaskOutcome): Omit<Alert, "at"> => {
  const text =
    record.status === "succeeded"
      ? format(agent, record.output).trim() || "It finished without output."
      : record.status === "cancelled"
        ? `Cancelled: ${record.error?.reason ?? "no reason given"}`
        : `Failed after ${record.attempts} attempt${record.attempts === 1 ? "" : "s"}: ${record.error?.reason ?? "no reason recorded"}`;
  return {
    alertId: taskAlertId(record.taskId),
    severity: record.status === "dead" ? "warning" : "info",
    source: agent === "" ? "scheduler" : agent,
    title: `${label} ${ENDINGS[record.status]}`,
    text,
  };
};
