// The circuit breaker through a running team: it rests without an actor until its first failure,
// opens after N failures, fails fast, lets one probe through when half-open, closes on success,
// re-opens on failure, every transition an event.
import { describe, expect, it } from "vitest";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";
import { route } from "./routing.ts";

const flaky = (fails: number) =>
  scriptedAgent("flaky", [...Array.from({ length: fails }, () => ({ fail: "down" })), { reply: "up" }], {
    breaker: { maxFailures: 3, resetAfter: "30s" },
  });

describe("circuit breaker", () => {
  it("rests closed without an actor until the agent first fails, then runs as the supervisor's child and opens as before", async () => {
    const agent = scriptedAgent(
      "flaky",
      [{ reply: "up" }, ...Array.from({ length: 3 }, () => ({ fail: "down" }))],
      {
        breaker: { maxFailures: 3, resetAfter: "30s" },
      },
    );
    const { team, seen } = createTestTeam({ agents: [agent], restart: { intensity: 100 } });
    const breaker = () => team.lazyChildren()[0]!;
    expect(team.status().agents[0]).toMatchObject({ breaker: "closed", failures: 0 });
    expect(breaker()).toMatchObject({ id: "flaky.breaker", actor: undefined, snapshot: { value: "closed" } });
    // A success leaves a closed breaker with nothing counted as it was: still resting.
    await expect(team.submit({ agent: "flaky", text: "fine" }).result).resolves.toBe("up");
    expect(breaker().actor).toBeUndefined();

    await expect(team.submit({ agent: "flaky", text: "first" }).result).rejects.toThrow(/down/);
    const actor = breaker().actor!;
    expect(actor.getSnapshot()).toMatchObject({ value: "closed", context: { failures: 1 } });
    expect(team.status().agents[0]).toMatchObject({ breaker: "closed", failures: 1 });
    for (const text of ["second", "third"])
      await expect(team.submit({ agent: "flaky", text }).result).rejects.toThrow(/down/);
    expect(seen("breaker.changed").map(({ from, to }) => `${from}→${to}`)).toEqual(["closed→open"]);
    expect(breaker().snapshot).toMatchObject({ value: "open", context: { failures: 3 } });
    await expect(team.submit({ agent: "flaky", text: "fast" }).result).rejects.toMatchObject({
      _tag: "BreakerOpen",
    });
    team.stop();
    // It stops with the team, like the agents.
    expect(actor.getSnapshot().status).toBe("stopped");
  });

  it("opens after maxFailures consecutive failures and then fails fast without calling the agent", async () => {
    const agent = flaky(10);
    const { team, seen } = createTestTeam({ agents: [agent], restart: { intensity: 100 } });
    for (let i = 0; i < 3; i += 1)
      await expect(team.submit({ agent: "flaky", text: `${i}` }).result).rejects.toThrow(/down/);
    expect(seen("breaker.changed").map(({ from, to }) => `${from}→${to}`)).toEqual(["closed→open"]);
    await expect(team.submit({ agent: "flaky", text: "fast" }).result).rejects.toMatchObject({
      _tag: "BreakerOpen",
    });
    expect(agent.calls).toHaveLength(3);
    expect(team.status().agents[0]?.breaker).toBe("open");
    team.stop();
  });

  it("goes half-open after resetAfter, lets exactly one probe through, and closes on its success", async () => {
    const agent = flaky(3);
    const { team, seen, advance } = createTestTeam({ agents: [agent], restart: { intensity: 100 } });
    for (let i = 0; i < 3; i += 1)
      await expect(team.submit({ agent: "flaky", text: `${i}` }).result).rejects.toThrow();
    await advance(30_000);
    expect(team.status().agents[0]?.breaker).toBe("half_open");
    const probe = team.submit({ agent: "flaky", text: "probe" });
    // Akka semantics: while the probe is out, every other call fails fast.
    const second = team.submit({ agent: "flaky", text: "behind the probe" });
    await expect(second.result).rejects.toMatchObject({ _tag: "BreakerOpen" });
    expect(agent.calls).toHaveLength(4);
    await expect(probe.result).resolves.toBe("up");
    await expect(team.submit({ agent: "flaky", text: "after" }).result).resolves.toBe("up");
    expect(seen("breaker.changed").map(({ to }) => to)).toEqual(["open", "half_open", "closed"]);
    team.stop();
  });

  it("re-opens when the half-open probe fails", async () => {
    const agent = flaky(4);
    const { team, seen, advance } = createTestTeam({ agents: [agent], restart: { intensity: 100 } });
    for (let i = 0; i < 3; i += 1)
      await expect(team.submit({ agent: "flaky", text: `${i}` }).result).rejects.toThrow();
    await advance(30_000);
    await expect(team.submit({ agent: "flaky", text: "probe" }).result).rejects.toThrow(/down/);
    expect(seen("breaker.changed").map(({ to }) => to)).toEqual(["open", "half_open", "open"]);
    await advance(30_000);
    await expect(team.submit({ agent: "flaky", text: "second probe" }).result).resolves.toBe("up");
    expect(team.status().agents[0]?.breaker).toBe("closed");
    team.stop();
  });

  it("routes around an open agent to another capable one", async () => {
    const broken = scriptedAgent("broken", [{ fail: "down" }], {
      capabilities: ["search"],
      breaker: { maxFailures: 1 },
    });
    const spare = scriptedAgent("spare", [{ reply: "from spare" }], { capabilities: ["search"] });
    const { team } = createTestTeam({
      agents: [broken, spare],
      routes: [route.capability({ allocate: "first-idle" })],
    });
    await expect(team.submit({ agent: "broken", text: "x" }).result).rejects.toThrow();
    expect(team.status().agents[0]?.breaker).toBe("open");
    // "broken" is listed first and idle, but its breaker is open.
    await expect(team.submit({ needs: ["search"], text: "find" }).result).resolves.toBe("from spare");
    team.stop();
  });
});
