// A task's outcome as an alert: which outcomes each `notify` level raises, one id per task, and the
// text in the agent's notification form — the readable default's first line for an agent without
// one, never raw JSON — or the failure's reason.
import { describe, expect, it } from "vitest";
import { formatOutputOf } from "../agent/OutputFormat.ts";
import { notifiesOf, taskOutcomeAlert } from "./taskOutcomeAlert.ts";

const format = (_agent: string, output: unknown) => formatOutputOf(undefined, "notification", output);
const label = "research · scheduled job-1 (0 3 * * *)";

describe("taskOutcomeAlert", () => {
  it("raises every outcome with all, only a dead letter with failed, nothing with off", () => {
    const raised = (level: "all" | "failed" | "off") =>
      (["succeeded", "cancelled", "dead"] as const).filter((status) => notifiesOf(level, status));
    expect(raised("all")).toEqual(["succeeded", "cancelled", "dead"]);
    expect(raised("failed")).toEqual(["dead"]);
    expect(raised("off")).toEqual([]);
  });

  it("reads an output without a notification form as its first readable line, never JSON", () => {
    const record = {
      taskId: "t-1",
      status: "succeeded",
      attempts: 1,
      output: { headline: "3 pages changed", pages: ["a", "b", "c"] },
    } as const;
    expect(taskOutcomeAlert({ record, agent: "research", label, format })).toEqual({
      alertId: "task~t-1",
      severity: "info",
      source: "research",
      title: `${label} done`,
      text: "headline: 3 pages changed",
    });
  });

  it("says why a task failed or was cancelled, and who ran a routed one", () => {
    const dead = taskOutcomeAlert({
      record: {
        taskId: "t-2",
        status: "dead",
        attempts: 3,
        error: { tag: "Timeout", reason: "no answer in 2m" },
      },
      agent: "",
      label: "scheduled job-2 (every 1h)",
      format,
    });
    expect(dead).toMatchObject({
      severity: "warning",
      source: "scheduler",
      title: "scheduled job-2 (every 1h) failed",
      text: "Failed after 3 attempts: no answer in 2m",
    });
    const cancelled = taskOutcomeAlert({
      record: {
        taskId: "t-3",
        status: "cancelled",
        attempts: 1,
        error: { tag: "Cancelled", reason: "by u1" },
      },
      agent: "research",
      label,
      format,
    });
    expect(cancelled).toMatchObject({
      severity: "info",
      title: `${label} cancelled`,
      text: "Cancelled: by u1",
    });
  });
});
