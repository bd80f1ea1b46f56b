// The runtime metrics count what a team's bus reports and read live state at scrape time.
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";
import { createRuntimeMetrics } from "./RuntimeMetrics.ts";

const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("createRuntimeMetrics", () => {
  it("counts a success and a failure by agent and outcome", async () => {
    const worker = scriptedAgent("worker", [{ reply: "ok" }, { fail: "boom" }]);
    const { team, next } = createTestTeam({ agents: [worker] });
    const metrics = createRuntimeMetrics({ team, registry: new Registry() });

    await team.ask(worker, "first").result;
    await expect(team.ask(worker, "second").result).rejects.toThrow(/boom/);
    // A handle that throws crashes its agent, and the supervisor restarts it.
    await next("agent.restarted", (event) => event.agent === "worker");

    const text = await metrics.metrics();
    expect(sample(text, 'troupe_tasks_total{agent="worker",outcome="succeeded"}')).toBe(1);
    expect(sample(text, 'troupe_tasks_total{agent="worker",outcome="failed"}')).toBe(1);
    expect(sample(text, 'troupe_tasks_total{agent="worker",outcome="cancelled"}')).toBe(0);
    expect(sample(text, 'troupe_task_duration_seconds_count{agent="worker"}')).toBe(1);
    expect(sample(text, 'troupe_queue_depth{agent="worker"}')).toBe(0);
    expect(sample(text, "troupe_tasks_in_flight")).toBe(0);
    expect(sample(text, 'troupe_breaker_state{agent="worker"}')).toBe(0);
    expect(sample(text, 'troupe_heartbeats_missed_total{agent="worker"}')).toBe(0);
    expect(sample(text, 'troupe_agent_restarts_total{agent="worker"}')).toBe(1);
    expect(text).toContain("process_cpu_seconds_total");
    expect(metrics.contentType).toMatch(/^text\/plain/);
    metrics.close();
    team.stop();
  });

  it("shows an open breaker as 2", async () => {
    const flaky = scriptedAgent("flaky", [{ fail: "down" }], { breaker: { maxFailures: 1 } });
    const { team, next } = createTestTeam({ agents: [flaky] });
    const metrics = createRuntimeMetrics({ team, defaultMetrics: false });

    await expect(team.ask(flaky, "try").result).rejects.toThrow(/down/);
    await next("breaker.changed", (event) => event.to === "open");

    expect(sample(await metrics.metrics(), 'troupe_breaker_state{agent="flaky"}')).toBe(2);
    metrics.close();
    team.stop();
  });

  it("counts a missed heartbeat", async () => {
    const sleepy = scriptedAgent("sleepy", [{ hang: true }], { heartbeat: { deadline: "1s", attempts: 1 } });
    const { team, advance, next } = createTestTeam({ agents: [sleepy] });
    const metrics = createRuntimeMetrics({ team, defaultMetrics: false });

    const run = team.ask(sleepy, "never answers");
    run.result.catch(() => {});
    await next("task.started");
    await advance(1_000);
    await next("heartbeat.missed");

    expect(sample(await metrics.metrics(), 'troupe_heartbeats_missed_total{agent="sleepy"}')).toBe(1);
    metrics.close();
    team.stop();
  });

  it("stops counting after close", async () => {
    const worker = scriptedAgent("worker", [{ reply: "ok" }]);
    const { team } = createTestTeam({ agents: [worker] });
    const metrics = createRuntimeMetrics({ team, prefix: "app_", defaultMetrics: false });

    metrics.close();
    await team.ask(worker, "unseen").result;

    const text = await metrics.metrics();
    expect(sample(text, 'app_tasks_total{agent="worker",outcome="succeeded"}')).toBe(0);
    expect(text).not.toContain("process_cpu_seconds_total");
    team.stop();
  });

  it("refuses a prefix that is not a metric name", () => {
    const { team } = createTestTeam({ agents: [scriptedAgent("worker", [{ reply: "ok" }])] });
    expect(() => createRuntimeMetrics({ team, prefix: "bad-prefix" })).toThrow(/metrics prefix/);
    team.stop();
  });
});
