// The soak run's verdict on observations made up for the purpose: what passes, and what each
// invariant catches (stuck tasks, a ❌ before the ✅, a duplicate outside the crash window, a team
// that stopped without /healthz and an alert saying so, an alert refused, memory growth).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SoakLedgerLine } from "../../apps/host/src/testing/soakAgent.ts";
import { judge, STALL_MS, summaryLine } from "./soakInvariants.ts";
import {
  emptyObservations,
  type Observations,
  type SoakTask,
  type TerminalState,
} from "./soakObservations.ts";

const T0 = 1_000_000;

const observations = (): Observations => {
  const made = emptyObservations({ leaseMs: 5_000, renewMs: 1_666, trafficStart: T0 });
  made.trafficEnd = T0 + 120_000;
  made.checkedAt = T0 + 150_000;
  made.lives.push(
    { host: "a", pid: 10, from: T0 - 5_000 },
    { host: "b", pid: 20, from: T0 - 5_000 },
    { host: "c", pid: 30, from: T0 - 5_000 },
  );
  return made;
};

const symbol: Record<TerminalState, string> = { succeeded: "✅", failed: "❌", cancelled: "🚫" };

/** A Discord task that ended as `states` say, with one reply, the last state's reaction left. */
const discordTask = (n: number, states: TerminalState[] = ["succeeded"], at = T0 + n * 1_000): SoakTask => ({
  token: `soakx-${n}`,
  surface: "discord",
  cluster: "redis",
  kind: "ok:100",
  submittedAt: at,
  taskId: `t-${n}`,
  messageId: `${9_000 + n}`,
  terminals: states.map((state, index) => ({ at: at + 500 + index, text: symbol[state], state })),
  replies: [{ at: at + 600, text: `soakx-${n} done` }],
  shownAtEnd: states.length > 0 ? [symbol[states.at(-1)!]] : ["👀"],
  record: { taskId: `t-${n}`, status: "succeeded", attempts: 1 },
});

const run = (token: string, pid: number, start: number, effect?: number): SoakLedgerLine[] => [
  { phase: "start", token, taskId: `t-${token}`, pid, at: start },
  ...(effect === undefined
    ? []
    : [{ phase: "effect" as const, token, taskId: `t-${token}`, pid, at: effect }]),
];

describe("the soak verdict", () => {
  it("passes a run in which every task ended once, and says so on its last line", () => {
    const seen = observations();
    seen.tasks.push(discordTask(1), discordTask(2), {
      ...discordTask(3),
      surface: "console",
      cluster: "embedded",
      messageId: undefined,
      shownAtEnd: undefined,
    });
    seen.rss.start = { at: T0 + 60_000, hosts: [{ host: "b", pid: 20, mb: 200 }] };
    seen.rss.end = { at: T0 + 150_000, hosts: [{ host: "b", pid: 20, mb: 210 }] };
    const verdict = judge(seen);
    expect(verdict.failed).toEqual([]);
    expect(summaryLine(verdict)).toBe(
      "soak: 3 tasks, 3 ended once, 0 stuck, 0 duplicates (crash window), 0 silent stops, alerts 0/0, rss 200→210 MB",
    );
  });

  it("counts a task the store still has leased as stuck, and names it", () => {
    const seen = observations();
    // Sent near the end of the traffic: no stretch of a minute without an ending before it stopped.
    seen.tasks.push({
      ...discordTask(1, [], T0 + 110_000),
      record: { taskId: "t-1", status: "leased", attempts: 52 },
    });
    const verdict = judge(seen);
    expect(verdict.stuck.map((finding) => finding.task.taskId)).toEqual(["t-1"]);
    expect(verdict.stuck[0]!.problems[0]).toContain("leased after 52 attempt(s)");
    expect(verdict.failed).toEqual(["stuck tasks"]);
  });

  it("does not count a task that showed ❌ before its retry succeeded as ended once", () => {
    const seen = observations();
    seen.tasks.push(discordTask(1, ["failed", "succeeded"]), { ...discordTask(2), replies: [] });
    const verdict = judge(seen);
    expect(verdict.endedBadly.map((finding) => finding.problems)).toEqual([
      ["2 terminal statuses shown (❌ ✅)"],
      ["0 replies"],
    ]);
    expect(summaryLine(verdict)).toContain("2 tasks, 0 ended once, 0 stuck");
  });

  it("quotes each reply of a task answered more than once", () => {
    const seen = observations();
    const task = discordTask(1);
    seen.tasks.push({
      ...task,
      replies: [...task.replies, { at: task.replies[0]!.at + 1, text: "Posted again" }],
    });
    expect(judge(seen).endedBadly[0]!.problems).toEqual(['2 replies ("soakx-1 done", "Posted again")']);
  });

  it("does not count a message two hosts both took as a task as ended once", () => {
    const seen = observations();
    seen.tasks.push({ ...discordTask(1), takenAs: ["t-1", "t-1b"] });
    expect(judge(seen).endedBadly[0]!.problems).toEqual(["the message was taken as 2 tasks (t-1, t-1b)"]);
  });

  it("tells a duplicate in the crash window from one outside it", () => {
    const seen = observations();
    // A ran it, was stopped past its lease before settling; B took it over.
    seen.faults.push({ kind: "sigstop", host: "a", pid: 10, from: T0 + 2_000, to: T0 + 9_000 });
    seen.ledger.push(...run("in", 10, T0, T0 + 1_000), ...run("in", 20, T0 + 8_000, T0 + 8_500));
    // B ran it after A's stop; A, resumed, started it again on a lease it had lost.
    seen.ledger.push(
      ...run("stale", 20, T0 + 8_000, T0 + 8_500),
      ...run("stale", 10, T0 + 9_100, T0 + 9_200),
    );
    const verdict = judge(seen);
    expect(verdict.crashWindowDuplicates.map((duplicate) => duplicate.token)).toEqual(["in"]);
    expect(verdict.duplicatesOutside.map((duplicate) => duplicate.token)).toEqual(["stale"]);
    expect(verdict.failed).toEqual(["duplicates outside the crash window"]);
  });

  it("counts a Redis restart under the earlier run as the crash window of the Redis hosts only", () => {
    const seen = observations();
    seen.faults.push({ kind: "redis-restart", from: T0 + 2_000, to: T0 + 4_000 });
    seen.ledger.push(...run("redis", 20, T0, T0 + 1_000), ...run("redis", 10, T0 + 9_000, T0 + 9_500));
    seen.ledger.push(...run("sqlite", 30, T0, T0 + 1_000), ...run("sqlite", 30, T0 + 9_000, T0 + 9_500));
    const verdict = judge(seen);
    expect(verdict.crashWindowDuplicates.map((duplicate) => duplicate.token)).toEqual(["redis"]);
    expect(verdict.duplicatesOutside.map((duplicate) => duplicate.token)).toEqual(["sqlite"]);
  });

  it("never puts a duplicate in the crash window when every run began after the faults ended", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ pid: fc.constantFrom(10, 20, 30), start: fc.integer({ min: 0, max: 60_000 }) }),
          {
            minLength: 2,
            maxLength: 5,
          },
        ),
        fc.array(
          fc.record({
            kind: fc.constantFrom("sigkill" as const, "sigstop" as const, "redis-restart" as const),
            pid: fc.constantFrom(10, 20, 30),
            from: fc.integer({ min: -60_000, max: -10_000 }),
            length: fc.integer({ min: 0, max: 9_999 }),
          }),
        ),
        (runs, faults) => {
          const seen = observations();
          for (const fault of faults)
            seen.faults.push({
              kind: fault.kind,
              pid: fault.pid,
              from: T0 + fault.from,
              to: T0 + fault.from + fault.length,
            });
          for (const each of runs)
            seen.ledger.push(...run("x", each.pid, T0 + each.start, T0 + each.start + 10));
          const verdict = judge(seen);
          expect(verdict.crashWindowDuplicates).toEqual([]);
          expect(verdict.duplicatesOutside.map((duplicate) => duplicate.effects)).toEqual([runs.length]);
        },
      ),
    );
  });

  it("calls an escalation silent unless /healthz said so and a critical alert was delivered", () => {
    const silent = observations();
    silent.stops.push({
      at: T0 + 30_000,
      cluster: "embedded",
      host: "c",
      what: "console: ⚠ the team escalated",
    });
    silent.health.push({ host: "c", at: T0 + 31_000, status: 503, causedBySoak: false });
    const quiet = judge(silent);
    expect(quiet.silentStops).toHaveLength(1);
    expect(quiet.silentStops[0]).toMatchObject({ host: "c", healthzSaid: true, alerted: false });

    const loud = observations();
    loud.stops.push(...silent.stops);
    loud.health.push(...silent.health);
    loud.alerts.push({
      cluster: "embedded",
      alertId: "team:escalated",
      how: "delivered",
      at: T0 + 35_000,
      severity: "critical",
    });
    expect(judge(loud).silentStops).toEqual([]);
    expect(judge(loud).stops).toHaveLength(1);

    // An escalation over before the next probe: /healthz still answers 200 but says the team restarted.
    const brief = observations();
    brief.stops.push(...silent.stops);
    brief.alerts.push(...loud.alerts);
    brief.health.push({ host: "c", at: T0 + 31_000, status: 200, causedBySoak: false });
    expect(judge(brief).silentStops).toHaveLength(1);
    brief.health.push({ host: "c", at: T0 + 32_000, status: 200, causedBySoak: false, saysEscalation: true });
    expect(judge(brief).silentStops).toEqual([]);
  });

  it("sees a team that stopped ending tasks during the traffic, unless the run itself stopped its hosts", () => {
    const stalled = observations();
    for (let n = 0; n < 5; n += 1) stalled.tasks.push({ ...discordTask(n, []), record: undefined });
    const verdict = judge(stalled);
    expect(verdict.silentStops).toHaveLength(1);
    expect(verdict.silentStops[0]!.evidence[0]!.what).toContain(`no task ended for ${STALL_MS / 1_000} s`);

    const stopped = observations();
    stopped.tasks.push(...stalled.tasks);
    stopped.faults.push({ kind: "sigstop", host: "a", pid: 10, from: T0, to: T0 + 120_000 });
    expect(judge(stopped).silentStops).toEqual([]);
  });

  it("counts alerts raised, refused and waiting against the ones a sink received", () => {
    const seen = observations();
    seen.alerts.push(
      { cluster: "redis", alertId: "monitor:load", how: "raised", at: T0 },
      { cluster: "redis", alertId: "monitor:load", how: "delivered", at: T0 + 1_000, severity: "warning" },
      {
        cluster: "redis",
        alertId: "monitor:load~resolved",
        how: "delivered",
        at: T0 + 9_000,
        severity: "info",
      },
      {
        cluster: "embedded",
        alertId: "system-monitor/load",
        how: "refused",
        at: T0,
        detail: "alertId must be…",
      },
    );
    seen.alertsPending.push({ cluster: "embedded", count: 3 }, { cluster: "redis", count: 0 });
    const verdict = judge(seen);
    expect(verdict.alerts).toMatchObject({ raised: 4, delivered: 1 });
    expect(verdict.alerts.missing[0]).toContain("embedded:system-monitor/load: refused");
    expect(verdict.failed).toEqual(["alerts not delivered"]);
  });

  it("fails on memory growth of 20 % or more in a host that lived through the run", () => {
    const seen = observations();
    seen.rss.start = {
      at: T0,
      hosts: [
        { host: "a", pid: 10, mb: 100 },
        { host: "b", pid: 20, mb: 100 },
      ],
    };
    // a was killed and started again (another pid): only b counts.
    seen.rss.end = {
      at: T0 + 100_000,
      hosts: [
        { host: "a", pid: 11, mb: 90 },
        { host: "b", pid: 20, mb: 125 },
      ],
    };
    const verdict = judge(seen);
    expect(verdict.rss).toMatchObject({ startMb: 100, endMb: 125 });
    expect(verdict.failed).toEqual(["memory growth"]);
  });
});
