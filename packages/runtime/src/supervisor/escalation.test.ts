// Failure semantics of the team: a task failing by its own work fails the task and counts toward its
// agent's breaker, never toward restart intensity; only a bug (anything but a Troupe error) restarts
// the actor. When restarts do exceed the intensity, the team escalates and, set to restart itself,
// comes back after a growing backoff: running → escalated → restarting → running.

import { describe, expect, it } from "vitest";
import { TroupeError } from "../errors/TroupeError.ts";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";

const modelDown = () => {
  throw new TroupeError("ModelUnavailable", "the connection to Ollama broke: check that Ollama is running");
};

describe("a task failing by its own work", () => {
  it("fails the task and feeds the breaker, but never restarts the agent or escalates the team", async () => {
    const { team, seen } = createTestTeam({
      agents: [
        scriptedAgent("research", [{ run: modelDown }], { breaker: { maxFailures: 3 } }),
        scriptedAgent("echo", [{ reply: "still here" }]),
      ],
      restart: { intensity: 1, period: "1m" },
    });
    for (let i = 0; i < 6; i += 1) {
      await expect(team.submit({ agent: "research", text: `q${i}` }).result).rejects.toMatchObject({
        _tag: i < 3 ? "ModelUnavailable" : "BreakerOpen",
        transient: true,
      });
    }
    expect(seen("task.failed").at(-1)?.error.reason).toBe(
      "the circuit breaker of research (last failure: the connection to Ollama broke: check that Ollama is running) is open; try again later",
    );
    expect(seen("agent.restarted")).toEqual([]);
    expect(seen("supervisor.escalated")).toEqual([]);
    expect(team.status().agents.find((agent) => agent.name === "research")).toMatchObject({
      incarnation: 1,
      breaker: "open",
    });
    await expect(team.submit({ agent: "echo", text: "hi" }).result).resolves.toBe("still here");
    expect(team.status()).toMatchObject({ lifecycle: "running", accepting: true, escalated: false });
    team.stop();
  });

  it("restarts the actor only for a bug, which counts toward the intensity", async () => {
    const { team, seen } = createTestTeam({
      agents: [scriptedAgent("buggy", [{ run: modelDown }, { fail: "undefined is not a function" }])],
      restart: { intensity: 5, period: "1m" },
    });
    await expect(team.submit({ agent: "buggy", text: "1" }).result).rejects.toMatchObject({
      _tag: "ModelUnavailable",
    });
    expect(seen("agent.restarted")).toEqual([]);
    await expect(team.submit({ agent: "buggy", text: "2" }).result).rejects.toMatchObject({
      _tag: "AgentCrashed",
    });
    expect(seen("agent.restarted")).toMatchObject([{ agent: "buggy", incarnation: 2 }]);
    team.stop();
  });
});

describe("an escalated team set to restart itself", () => {
  const crashLoop = () =>
    createTestTeam({
      agents: [
        scriptedAgent("buggy", [{ fail: "cannot read properties of undefined" }]),
        scriptedAgent("echo", [{ reply: "pong" }]),
      ],
      restart: { intensity: 1, period: "1m", escalation: { restartAfter: "1s", maxDelay: "1m" } },
    });

  const escalate = async (team: ReturnType<typeof crashLoop>["team"]) => {
    for (let i = 0; i < 2; i += 1)
      await expect(team.submit({ agent: "buggy", text: `crash ${i}` }).result).rejects.toThrow();
  };

  it("says why, refuses tasks with a transient Escalated error, and restarts after its backoff", async () => {
    const { team, next, advance, seen } = crashLoop();
    await escalate(team);
    const escalated = await next("supervisor.escalated");
    expect(escalated.reason).toMatch(/more than 1 restarts within 1m .*cannot read properties of undefined/);
    expect(escalated.restartInMs).toBeGreaterThanOrEqual(500);
    expect(escalated.restartInMs).toBeLessThanOrEqual(1_000);
    const status = team.status();
    expect(status).toMatchObject({ lifecycle: "escalated", accepting: false, escalated: true });
    expect(status.escalation?.reason).toBe(`the supervisor gave up: ${escalated.reason}`);
    expect(status.escalation?.restartAt).toBe(status.escalation!.since + escalated.restartInMs!);
    expect(status.agents.map((agent) => agent.state)).toEqual(["stopped", "stopped"]);
    await expect(team.submit({ agent: "echo", text: "now?" }).result).rejects.toMatchObject({
      _tag: "Escalated",
      transient: true,
      reason: expect.stringMatching(/escalated and takes no tasks until it restarts/),
    });

    await advance(escalated.restartInMs!);
    expect(await next("supervisor.restarted")).toMatchObject({
      escalations: 1,
      downMs: escalated.restartInMs,
    });
    expect(team.status()).toMatchObject({ lifecycle: "running", accepting: true, escalation: undefined });
    expect(team.status().agents.map((agent) => [agent.name, agent.state, agent.incarnation])).toEqual([
      ["buggy", "idle", 3],
      ["echo", "idle", 2],
    ]);
    await expect(team.submit({ agent: "echo", text: "back?" }).result).resolves.toBe("pong");
    expect(seen("supervisor.escalated")).toHaveLength(1);
    team.stop();
  });

  it("waits longer after each escalation in a row", async () => {
    const { team, next, advance, seen } = crashLoop();
    await escalate(team);
    const first = await next("supervisor.escalated");
    await advance(first.restartInMs!);
    await next("supervisor.restarted");
    await escalate(team);
    const second = seen("supervisor.escalated")[1]!;
    expect(second.restartInMs).toBeGreaterThanOrEqual(1_000);
    expect(second.restartInMs).toBeLessThanOrEqual(2_000);
    await advance(second.restartInMs!);
    expect(seen("supervisor.restarted")[1]).toMatchObject({ escalations: 2 });
    team.stop();
  });

  it("closes an agent's open breaker when it restarts the team, and says so", async () => {
    const { team, next, advance, seen } = createTestTeam({
      agents: [
        scriptedAgent("buggy", [{ fail: "cannot read properties of undefined" }], {
          breaker: { maxFailures: 2 },
        }),
      ],
      restart: { intensity: 1, period: "1m", escalation: { restartAfter: "1s", maxDelay: "1m" } },
    });
    await escalate(team);
    const escalated = await next("supervisor.escalated");
    expect(team.status().agents[0]).toMatchObject({ breaker: "open", failures: 2 });
    await advance(escalated.restartInMs!);
    await next("supervisor.restarted");
    expect(team.status().agents[0]).toMatchObject({ breaker: "closed", failures: 0 });
    expect(seen("breaker.changed").map(({ from, to }) => `${from}→${to}`)).toEqual([
      "closed→open",
      "open→closed",
    ]);
    team.stop();
  });

  it("does not restart once it is draining", async () => {
    const { team, next, advance, seen } = crashLoop();
    await escalate(team);
    const escalated = await next("supervisor.escalated");
    await team.drain({ deadline: "1s" });
    await advance(escalated.restartInMs! + 1_000);
    expect(seen("supervisor.restarted")).toEqual([]);
    expect(team.status().lifecycle).toBe("stopped");
    // A state of the supervisor's chart (final), not only a stopped actor.
    expect(team.actor.getSnapshot()).toMatchObject({ value: "stopped", status: "done" });
  });
});
