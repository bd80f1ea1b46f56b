// The scheduler on a fake clock: cron, intervals and one-shots submit their tasks; jobs survive a
// restart through the SnapshotStore; missed runs run once at start (never a burst) or are skipped;
// the /schedule, /schedules and /unschedule commands.
import { type Clock, MemorySnapshotStore, type TaskInput } from "@troupe/runtime";
import { createTestTeam, flush } from "@troupe/runtime/testing";
import { describe, expect, it } from "vitest";
import { Scheduler } from "./Scheduler.ts";
import { createScheduler, schedulerFormatters } from "./schedulerAgent.ts";
import { nextRunAfter, parseSchedule } from "./scheduleSpec.ts";

/** Timers that fire only when the test moves time. */
class FakeClock implements Clock {
  time: number;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  constructor(start: number) {
    this.time = start;
  }
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (id: number) => {
    this.#timers.delete(id);
  };
  get pending() {
    return this.#timers.size;
  }
  /** Move time forward, firing each due timer in order (and letting its work settle). */
  async advance(ms: number) {
    const end = this.time + ms;
    while (true) {
      const due = [...this.#timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].fn();
      await flush();
    }
    this.time = end;
    await flush();
  }
}

const T0 = Date.parse("2026-11-23T08:00:00Z");
const MIN = 60_000;

const setUp = (store = new MemorySnapshotStore(), clock = new FakeClock(T0), missed?: "once" | "skip") => {
  const submitted: { input: TaskInput; at: number }[] = [];
  const scheduler = new Scheduler({
    store,
    clock,
    ...(missed ? { missed } : {}),
    submit: (input) => {
      submitted.push({ input, at: clock.now() });
    },
  });
  return { scheduler, submitted, store, clock };
};

describe("parseSchedule", () => {
  it("reads intervals, one-shots and cron expressions", () => {
    expect(parseSchedule("every 5m check the disk")).toEqual({
      spec: { kind: "every", everyMs: 5 * MIN },
      text: "check the disk",
    });
    expect(parseSchedule("at 2026-12-01T09:00:00Z send the report")).toEqual({
      spec: { kind: "at", at: Date.parse("2026-12-01T09:00:00Z") },
      text: "send the report",
    });
    expect(parseSchedule('"0 9 * * 1-5" check $AAPL')).toEqual({
      spec: { kind: "cron", expression: "0 9 * * 1-5" },
      text: "check $AAPL",
    });
    expect(parseSchedule("*/5 * * * * check the queue").spec).toEqual({
      kind: "cron",
      expression: "*/5 * * * *",
    });
    expect(parseSchedule("0 */5 * * * * every five minutes, on the second").spec).toEqual({
      kind: "cron",
      expression: "0 */5 * * * *",
    });
    expect(parseSchedule("@hourly ping")).toEqual({
      spec: { kind: "cron", expression: "@hourly" },
      text: "ping",
    });
  });

  it("says what is wrong and how to write it", () => {
    expect(() => parseSchedule("every 5m")).toThrow(/the task text is missing/);
    expect(() => parseSchedule("at tomorrow do it")).toThrow(/"tomorrow" is not an ISO time/);
    expect(() => parseSchedule("every 10ms spin")).toThrow(/too often/);
    expect(() => parseSchedule('"99 * * * *" nope')).toThrow(/is not a cron expression/);
    expect(() => parseSchedule("sometimes do it")).toThrow(/Use \/schedule <cron\|every 5m\|at ISO-time>/);
  });

  it("computes the next run with croner", () => {
    expect(nextRunAfter({ kind: "cron", expression: "*/5 * * * *" }, T0 + 1)).toBe(T0 + 5 * MIN);
    expect(nextRunAfter({ kind: "at", at: T0 }, T0)).toBeNull();
  });
});

describe("Scheduler", () => {
  it("submits an interval job each time it is due, and saves each run", async () => {
    const { scheduler, submitted, store, clock } = setUp();
    await scheduler.start();
    const job = await scheduler.schedule({ kind: "every", everyMs: 5 * MIN }, "check the disk", {
      from: "ana",
    });
    await clock.advance(4 * MIN);
    expect(submitted).toEqual([]);
    await clock.advance(11 * MIN);
    expect(submitted.map((run) => run.at - T0)).toEqual([5 * MIN, 10 * MIN, 15 * MIN]);
    expect(submitted[0]?.input).toEqual({ text: "check the disk", from: "ana" });
    expect(await store.load(`scheduler/job/${job.id}`)).toMatchObject({ runs: 3, nextRunAt: T0 + 20 * MIN });
    scheduler.stop();
  });

  it("runs a cron job at its times", async () => {
    const { scheduler, submitted, clock } = setUp();
    await scheduler.start();
    await scheduler.schedule({ kind: "cron", expression: "*/10 * * * *" }, "tick");
    await clock.advance(25 * MIN);
    expect(submitted.map((run) => run.at - T0)).toEqual([10 * MIN, 20 * MIN]);
    scheduler.stop();
  });

  it("runs a one-shot once, then forgets it", async () => {
    const { scheduler, submitted, clock } = setUp();
    await scheduler.start();
    await scheduler.schedule({ kind: "at", at: T0 + 30 * MIN }, "once");
    await clock.advance(2 * 60 * MIN);
    expect(submitted.map((run) => run.at - T0)).toEqual([30 * MIN]);
    expect(scheduler.list()).toEqual([]);
    await expect(scheduler.schedule({ kind: "at", at: T0 }, "too late")).rejects.toThrow(/in the past/);
  });

  it("keeps jobs over a restart, and runs a missed job once at start, never a burst", async () => {
    const first = setUp();
    await first.scheduler.start();
    const job = await first.scheduler.schedule({ kind: "every", everyMs: 10 * MIN }, "poll");
    await first.scheduler.schedule({ kind: "at", at: T0 + 20 * MIN }, "one-shot");
    first.scheduler.stop(); // the process dies; an hour passes (six runs of "poll" missed)
    const clock = new FakeClock(T0 + 60 * MIN);
    const second = setUp(first.store, clock);
    await second.scheduler.start();
    expect(second.submitted.map((run) => run.input.text).sort()).toEqual(["one-shot", "poll"]);
    expect(second.scheduler.list()).toMatchObject([{ id: job.id, runs: 1, nextRunAt: T0 + 70 * MIN }]);
    await clock.advance(10 * MIN);
    expect(second.submitted).toHaveLength(3);
    second.scheduler.stop();
  });

  it("skips missed runs with missed: skip", async () => {
    const first = setUp();
    await first.scheduler.start();
    await first.scheduler.schedule({ kind: "every", everyMs: 10 * MIN }, "poll");
    first.scheduler.stop();
    const second = setUp(first.store, new FakeClock(T0 + 60 * MIN), "skip");
    await second.scheduler.start();
    expect(second.submitted).toEqual([]);
    expect(second.scheduler.list()[0]?.nextRunAt).toBe(T0 + 70 * MIN);
    second.scheduler.stop();
  });

  it("keeps the schedule when a submit fails, and says why", async () => {
    const clock = new FakeClock(T0);
    const errors: string[] = [];
    const scheduler = new Scheduler({
      store: new MemorySnapshotStore(),
      clock,
      submit: () => {
        throw new Error("queue full");
      },
      onError: (error) => errors.push((error as Error).message),
    });
    await scheduler.start();
    await scheduler.schedule({ kind: "every", everyMs: MIN }, "x");
    await clock.advance(MIN);
    expect(errors).toEqual(["queue full"]);
    expect(scheduler.list()[0]).toMatchObject({ runs: 1, lastError: "queue full", nextRunAt: T0 + 2 * MIN });
    scheduler.stop();
  });
});

describe("scheduler agent", () => {
  it("takes /schedule, /schedules and /unschedule", async () => {
    const clock = new FakeClock(T0);
    const submitted: TaskInput[] = [];
    const scheduling = createScheduler({
      store: new MemorySnapshotStore(),
      clock,
      submit: (input) => {
        submitted.push(input);
      },
    });
    await scheduling.start();
    const { team, clock: teamClock } = createTestTeam({ agents: [scheduling.agent] });
    teamClock.set(T0); // the agent reads the time through ctx.now(), the team's clock
    const made = await team.ask(scheduling.agent, {
      text: "/schedule every 5m check the disk",
      channel: "ops",
    }).result;
    expect(made.action).toBe("scheduled");
    const id = made.jobs[0]!.id;
    expect(made.message).toBe(
      `Scheduled ${id} (every 5m), next run 2026-11-23T08:05:00.000Z: check the disk`,
    );
    await clock.advance(5 * MIN);
    expect(submitted).toEqual([{ text: "check the disk", channel: "ops" }]);

    const listed = await team.ask(scheduling.agent, { command: "/schedules", text: "" }).result;
    expect(listed.jobs.map((job) => job.id)).toEqual([id]);
    expect(schedulerFormatters.text(listed)).toContain(
      `${id}  every 5m  next 2026-11-23T08:10:00.000Z  → check the disk`,
    );
    expect(schedulerFormatters.notification(listed)).toBe("1 scheduled job.");

    await expect(team.ask(scheduling.agent, `@scheduler /unschedule ${id}`).result).resolves.toMatchObject({
      action: "unscheduled",
    });
    await expect(team.ask(scheduling.agent, `/unschedule ${id}`).result).rejects.toThrow(/there is no job/);
    await expect(team.ask(scheduling.agent, "/schedule whenever x").result).rejects.toMatchObject({
      _tag: "InvalidCommand",
    });
    await expect(team.ask(scheduling.agent, "hello").result).rejects.toThrow(/use \/schedule/);
    expect(clock.pending).toBe(0);
    scheduling.stop();
    team.stop();
  });
});
