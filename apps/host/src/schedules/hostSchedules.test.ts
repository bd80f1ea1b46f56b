// The host's /schedule port on the agents' Scheduler: `when` in each form /schedule accepts (a cron
// expression with its spaces, an interval, a one-shot), a bad or past `when` refused saying how to
// write it, jobs listed and cancelled, and a run queued on the work queue and announced.
import { MemorySnapshotStore, type ScheduledRun, silentLogger } from "@troupe/runtime";
import { MemoryWorkQueue } from "@troupe/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createHostSchedules, type HostSchedules } from "./hostSchedules.ts";

let schedules: HostSchedules | undefined;
afterEach(() => schedules?.stop());

const start = async () => {
  const queue = new MemoryWorkQueue();
  schedules = createHostSchedules({ store: new MemorySnapshotStore(), queue, logger: silentLogger });
  await schedules.start();
  return { schedules, queue };
};

const request = { from: "u1", channelId: "c1" };

describe("createHostSchedules", () => {
  it("reads a cron expression with spaces, an interval and a one-shot, and keeps the text whole", async () => {
    const { schedules } = await start();
    const cron = await schedules.add({ ...request, when: "0 9 * * 1-5", text: "5 things to check" });
    expect(cron).toMatchObject({ schedule: "0 9 * * 1-5", text: "5 things to check", runs: 0 });
    const every = await schedules.add({ ...request, when: "every 30m", text: "look", agent: "echo" });
    expect(every).toMatchObject({ schedule: "every 30m", text: "look", agent: "echo" });
    const at = await schedules.add({ ...request, when: "at 2999-01-01T00:00:00Z", text: "later" });
    expect(at).toMatchObject({
      schedule: "at 2999-01-01T00:00:00.000Z",
      nextRunAt: Date.parse("2999-01-01"),
    });
    expect(
      schedules
        .list()
        .map((job) => job.id)
        .sort(),
    ).toEqual([cron.id, every.id, at.id].sort());
    expect(await schedules.cancel(every.id)).toBe(true);
    expect(await schedules.cancel(every.id)).toBe(false);
    expect(schedules.list()).toHaveLength(2);
  });

  it("refuses a `when` it cannot read, or one in the past, saying how to write it", async () => {
    const { schedules } = await start();
    await expect(schedules.add({ ...request, when: "tomorrow-ish", text: "x" })).rejects.toThrow(
      /^"tomorrow-ish" is not a cron expression \(.*\)\. Write `when` as every 5m, at 2026-12-01T09:00:00Z, or a cron expression such as 0 9 \* \* 1-5\.$/,
    );
    await expect(schedules.add({ ...request, when: "at 2001-01-01T00:00:00Z", text: "x" })).rejects.toThrow(
      "at 2001-01-01T00:00:00.000Z is in the past; nothing to schedule",
    );
  });

  it("queues each run as a new task for the job's agent and announces it with its channel", async () => {
    const { schedules, queue } = await start();
    const runs: ScheduledRun[] = [];
    const announced = new Promise<void>((resolve) =>
      schedules.onRun((run) => {
        runs.push(run);
        resolve();
      }),
    );
    const job = await schedules.add({ ...request, when: "every 1s", text: "tick", agent: "echo" });
    await announced;
    expect(runs[0]).toMatchObject({ scheduleId: job.id, agent: "echo", channelId: "c1" });
    const [lease] = await queue.lease("test", { max: 1, waitMs: 0 });
    expect(lease).toMatchObject({
      taskId: runs[0]!.taskId,
      input: { text: "tick", agent: "echo", from: "u1" },
    });
  });
});
