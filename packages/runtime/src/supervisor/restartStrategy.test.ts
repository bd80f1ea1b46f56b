// OTP restart semantics: which children restart after a crash, and escalation past the intensity.

import { describe, expect, it } from "vitest";
import { createActor, setup } from "xstate";
import { isTroupeError } from "../errors/TroupeError.ts";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";
import type { RestartStrategy } from "./restartStrategy.ts";
import { supervisorMachine } from "./supervisorMachine.ts";
import { supervisorInput, Team } from "./Team.ts";

const threeAgents = () => [
  scriptedAgent("a", [{ reply: "a" }]),
  scriptedAgent("b", [{ fail: "b broke" }]),
  scriptedAgent("c", [{ reply: "c" }]),
];

const incarnations = (team: Team) =>
  Object.fromEntries(team.status().agents.map((agent) => [agent.name, agent.incarnation]));

describe("restart strategies", () => {
  const cases: [RestartStrategy, Record<string, number>][] = [
    ["one_for_one", { a: 1, b: 2, c: 1 }],
    ["one_for_all", { a: 2, b: 2, c: 2 }],
    ["rest_for_one", { a: 1, b: 2, c: 2 }],
  ];
  for (const [strategy, expected] of cases) {
    it(`${strategy} restarts ${Object.entries(expected)
      .filter(([, n]) => n === 2)
      .map(([name]) => name)
      .join(", ")}`, async () => {
      const { team, seen } = createTestTeam({ agents: threeAgents(), restart: { strategy } });
      await expect(team.submit({ agent: "b", text: "crash" }).result).rejects.toMatchObject({
        _tag: "AgentCrashed",
      });
      expect(incarnations(team)).toEqual(expected);
      expect(
        seen("agent.restarted")
          .map((event) => event.agent)
          .sort(),
      ).toEqual(Object.keys(expected).filter((name) => expected[name] === 2));
      team.stop();
    });
  }

  it("requeues the task a collateral restart interrupted, and it still completes", async () => {
    let release: (() => void) | undefined;
    const slow = scriptedAgent("slow", [
      {
        run: () =>
          new Promise<string>((resolve) => {
            release = () => resolve("slow done");
          }),
      },
    ]);
    const { team, next } = createTestTeam({
      agents: [slow, scriptedAgent("b", [{ fail: "boom" }])],
      restart: { strategy: "one_for_all" },
    });
    const slowRun = team.submit({ agent: "slow", text: "work" });
    await next("task.started", (event) => event.taskId === slowRun.id);
    await expect(team.submit({ agent: "b", text: "crash" }).result).rejects.toThrow(/boom/);
    const retry = await next("task.retrying", (event) => event.taskId === slowRun.id);
    expect(retry.reason).toMatch(/one_for_all/);
    expect(slow.aborted.map((task) => task.id)).toContain(slowRun.id);
    await next(
      "task.started",
      (event) => event.taskId === slowRun.id && event.at >= retry.at && slow.calls.length === 2,
    );
    release?.();
    await expect(slowRun.result).resolves.toBe("slow done");
    team.stop();
  });
});

describe("restart intensity", () => {
  it("escalates when restarts exceed the intensity within the period, failing what was open", async () => {
    const { team, next, advance } = createTestTeam({
      agents: [scriptedAgent("b", [{ fail: "again" }])],
      restart: { strategy: "one_for_one", intensity: 2, period: "1m" },
    });
    for (let i = 0; i < 2; i += 1)
      await expect(team.submit({ agent: "b", text: `${i}` }).result).rejects.toThrow(/again/);
    await advance(1_000);
    await expect(team.submit({ agent: "b", text: "third" }).result).rejects.toThrow(/again/);
    const escalated = await next("supervisor.escalated");
    expect(escalated.reason).toMatch(/more than 2 restarts within 1m/);
    await expect(team.closed).rejects.toSatisfy((error: unknown) => isTroupeError(error, "Escalated"));
    await expect(team.submit("after").result).rejects.toMatchObject({ _tag: "Escalated" });
  });

  it("does not escalate when the restarts are spread beyond the period", async () => {
    const { team, advance, seen } = createTestTeam({
      agents: [scriptedAgent("b", [{ fail: "again" }])],
      restart: { intensity: 1, period: "10s" },
    });
    for (let i = 0; i < 3; i += 1) {
      await expect(team.submit({ agent: "b", text: `${i}` }).result).rejects.toThrow(/again/);
      await advance(11_000);
    }
    expect(seen("supervisor.escalated")).toHaveLength(0);
    expect(team.status().agents[0]?.restarts).toBe(3);
    team.stop();
  });

  it("reports the escalation to the supervisor's parent actor", async () => {
    const options = {
      agents: [scriptedAgent("b", [{ fail: "again" }])],
      restart: { intensity: 0, period: "1m" as const },
    };
    const parent = setup({ actors: { team: supervisorMachine } }).createMachine({
      initial: "supervising",
      states: {
        supervising: {
          invoke: {
            id: "team",
            src: "team",
            input: supervisorInput(options),
            onError: { target: "escalated" },
          },
        },
        escalated: { type: "final" },
      },
    });
    const actor = createActor(parent).start();
    const child = actor.getSnapshot().children.team!;
    const team = new Team(child);
    await expect(team.submit({ agent: "b", text: "crash" }).result).rejects.toThrow();
    expect(actor.getSnapshot().value).toBe("escalated");
    expect(actor.getSnapshot().status).toBe("done");
  });
});
