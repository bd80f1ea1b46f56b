// The host's HTTP server in-process: /metrics in Prometheus text, /healthz and /readyz as JSON from
// the parts' health checks (503 when a part is down, /readyz also while the host takes no work; a
// degraded part or a check that throws or never answers said as such), clear answers for other paths
// and methods, and a clear error when the port is taken.
import { silentLogger } from "@troupe/runtime";
import { createRuntimeMetrics } from "@troupe/runtime/metrics";
import { createTestTeam, scriptedAgent } from "@troupe/runtime/testing";
import { describe, expect, it } from "vitest";
import { HealthChecks, RECENT_ESCALATION_MS, teamHealth } from "../health/HealthChecks.ts";
import { createHostTeam } from "../team/createHostTeam.ts";
import { HttpListenError, startHttpServer } from "./startHttpServer.ts";

describe("startHttpServer", () => {
  it("serves the team's metrics and health", async () => {
    const team = createHostTeam({ logger: silentLogger });
    const metrics = createRuntimeMetrics({ team });
    const server = await startHttpServer({ team, metrics, host: "127.0.0.1", port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await team.submit("@echo counted").result;

      const scrape = await fetch(`${server.url}/metrics`);
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await scrape.text();
      expect(text).toContain("# TYPE troupe_tasks_total counter");
      expect(text).toContain('troupe_tasks_total{agent="echo",outcome="succeeded"} 1');
      expect(text).toContain('troupe_breaker_state{agent="system-monitor"} 0');
      expect(text).toContain("process_resident_memory_bytes");

      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: "ok",
        ready: true,
        reasons: [],
        components: { team: { status: "up" } },
        accepting: true,
        agents: [
          { name: "echo", state: "idle", breaker: "closed", queue: 0 },
          { name: "system-monitor", state: "idle", breaker: "closed", queue: 0 },
        ],
      });

      const missing = await fetch(`${server.url}/nowhere`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        error: "no such path /nowhere; try /metrics, /healthz or /readyz",
      });
      const posted = await fetch(`${server.url}/metrics`, { method: "POST" });
      expect(posted.status).toBe(405);
      expect(posted.headers.get("allow")).toBe("GET, HEAD");
      await posted.body?.cancel();
    } finally {
      await server.close();
      metrics.close();
      team.stop();
    }
  });

  it("answers 503 on /healthz with the reason while the team is escalated, then 200 saying it restarted, for a while", async () => {
    const crashing = scriptedAgent("crashing", [{ fail: "crash" }, { reply: "fine" }]);
    const { team, next, advance } = createTestTeam({
      agents: [crashing],
      restart: { intensity: 0, escalation: { restartAfter: "2s" } },
    });
    const metrics = createRuntimeMetrics({ team, defaultMetrics: false });
    const server = await startHttpServer({ team, metrics, host: "127.0.0.1", port: 0 });
    try {
      await expect(team.ask(crashing, "go").result).rejects.toThrow();
      const { restartInMs, at } = await next("supervisor.escalated");
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({
        status: "unavailable",
        ready: false,
        reasons: [
          expect.stringMatching(
            /^team: the team escalated: the supervisor gave up: more than 0 restarts within 1m .*crash/,
          ),
        ],
        components: {
          team: {
            status: "down",
            details: {
              state: "escalated",
              since: new Date(at).toISOString(),
              restartAt: new Date(at + restartInMs!).toISOString(),
            },
          },
        },
      });
      await advance(restartInMs!);
      await next("supervisor.restarted");
      // Back, and for a while it says it was down, so a probe that missed the escalation still sees it.
      const back = await fetch(`${server.url}/healthz`);
      expect(back.status).toBe(200);
      expect(await back.json()).toMatchObject({
        status: "degraded",
        reasons: [
          expect.stringMatching(
            /^team: the team restarted 0ms ago after an escalation \(down [\d.]+s\): more than 0 restarts within 1m .*crash/,
          ),
        ],
        components: { team: { status: "degraded", details: { state: "running", downMs: restartInMs } } },
      });
      await advance(RECENT_ESCALATION_MS);
      const later = await fetch(`${server.url}/healthz`);
      expect(await later.json()).toMatchObject({ status: "ok", components: { team: { status: "up" } } });
    } finally {
      await server.close();
      metrics.close();
    }
  });

  it("answers from every part's check: degraded is still healthy, down is not, /readyz also waits for work", async () => {
    const { team } = createTestTeam({ agents: [scriptedAgent("idle", [{ reply: "ok" }])] });
    const metrics = createRuntimeMetrics({ team, defaultMetrics: false });
    const health = new HealthChecks();
    health.register("team", teamHealth(team));
    let store: "up" | "down" | "throws" | "silent" = "up";
    health.register("store", () => {
      if (store === "throws") throw new Error("the file is gone");
      if (store === "silent") return new Promise(() => {});
      return store === "up"
        ? { status: "up", details: { kind: "test" } }
        : { status: "down", reason: "Redis at redis://x:1 is unreachable (connect ECONNREFUSED)" };
    });
    health.register("notifier", () => ({ status: "degraded", reason: "discord breaker open" }));
    let notReady: string | undefined = "starting: not taking work yet";
    const server = await startHttpServer({
      team,
      metrics,
      health,
      notReady: () => notReady,
      host: "127.0.0.1",
      port: 0,
    });
    const ask = async (path: string) => {
      const answer = await fetch(`${server.url}${path}`);
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    };
    try {
      expect(await ask("/healthz")).toMatchObject({
        status: 200,
        body: {
          status: "degraded",
          ready: false,
          reasons: ["notifier: discord breaker open", "host: starting: not taking work yet"],
          components: {
            store: { status: "up", details: { kind: "test" } },
            notifier: { status: "degraded" },
          },
        },
      });
      expect((await ask("/readyz")).status).toBe(503);
      notReady = undefined;
      expect(await ask("/readyz")).toMatchObject({ status: 200, body: { ready: true } });

      store = "down";
      for (const path of ["/healthz", "/readyz"])
        expect(await ask(path)).toMatchObject({
          status: 503,
          body: {
            status: "unavailable",
            reasons: [
              "store: Redis at redis://x:1 is unreachable (connect ECONNREFUSED)",
              "notifier: discord breaker open",
            ],
          },
        });
      store = "throws";
      expect((await ask("/healthz")).body.reasons).toContain("store: the file is gone");
      store = "silent";
      expect((await ask("/healthz")).body.reasons).toContain("store: no answer within 2000 ms");
    } finally {
      await server.close();
      metrics.close();
      team.stop();
    }
  });

  it("says clearly when the port is in use", async () => {
    const { team } = createTestTeam({ agents: [scriptedAgent("idle", [{ reply: "ok" }])] });
    const metrics = createRuntimeMetrics({ team, defaultMetrics: false });
    const first = await startHttpServer({ team, metrics, host: "127.0.0.1", port: 0 });
    const port = Number(new URL(first.url).port);
    try {
      const second = startHttpServer({ team, metrics, host: "127.0.0.1", port });
      await expect(second).rejects.toBeInstanceOf(HttpListenError);
      await expect(second).rejects.toMatchObject({
        code: "EADDRINUSE",
        message: `cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE)`,
      });
    } finally {
      await first.close();
      metrics.close();
      team.stop();
    }
  });
});
