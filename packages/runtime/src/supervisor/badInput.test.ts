// Bad input never takes the team down: unknown events, malformed tasks and agents that throw
// synchronously each get a clear error, and the supervisor keeps serving.
import { describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";

const echo = () => scriptedAgent("echo", [{ run: (task) => task.text }]);

describe("bad input", () => {
  it("reports an unknown event sent to the supervisor and keeps running", async () => {
    const { team, next } = createTestTeam({ agents: [echo()] });
    team.actor.send({ type: "launch.missiles" } as never);
    const warning = await next("runtime.warning");
    expect(warning.message).toBe('the supervisor ignored an event of unknown type "launch.missiles"');
    await expect(team.submit({ agent: "echo", text: "still here" }).result).resolves.toBe("still here");
    team.stop();
  });

  it("refuses an unknown or malformed command from outside with InvalidCommand", () => {
    const { team } = createTestTeam({ agents: [echo()] });
    expect(() => team.dispatch({ type: "launch" })).toThrow(
      'unknown command type "launch"; expected submit or cancel',
    );
    expect(() => team.dispatch("submit")).toThrow(/must be an object with a string `type`/);
    expect(() => team.dispatch({ type: "cancel", id: 7 })).toThrow("cancel needs a string `id`");
    team.stop();
  });

  it("refuses a malformed task at once, naming the field, and keeps running", async () => {
    const { team } = createTestTeam({ agents: [echo()] });
    expect(() => team.submit({ text: 42 } as never)).toThrow(
      /invalid task: Expected string \| undefined\s+at \["text"\]/,
    );
    expect(() => team.submit({ channel: "general" })).toThrow(
      "invalid task: it needs `text`, `input` or `command`",
    );
    expect(() => team.submit({ text: "x", deadline: "soon" })).toThrow(
      /invalid task: deadline must look like "250ms"/,
    );
    expect(() => team.submit({ text: "x", needs: "search" } as never)).toThrow(/\["needs"\]/);
    expect(() => team.dispatch({ type: "submit", task: { agent: 1 } })).toThrow(/\["agent"\]/);
    await expect(team.submit({ agent: "echo", text: "fine" }).result).resolves.toBe("fine");
    team.stop();
  });

  it("refuses a task over maxTaskBytes or with an id that could forge a line, and keeps running", async () => {
    const { team } = createTestTeam({ agents: [echo()], maxTaskBytes: 1_024 });
    expect(() => team.submit({ text: "x".repeat(2_000) })).toThrow(
      "invalid task: the task is 2000 bytes, over the limit of 1024 bytes (TROUPE_MAX_TASK_BYTES)",
    );
    expect(() => team.submit({ text: "ok", notes: ["y".repeat(1_100)] })).toThrow(
      /over the limit of 1024 bytes/,
    );
    expect(() => team.submit({ text: "x", id: "t-1\n[t-1] ✅ done" })).toThrow(
      'invalid task: its id must be at most 128 visible ASCII characters (no spaces, newlines or control characters), got "t-1\\n[t-1] ✅ done"',
    );
    expect(() => createTestTeam({ agents: [echo()], maxTaskBytes: 0 })).toThrow(
      /maxTaskBytes must be a positive/,
    );
    await expect(team.submit({ agent: "echo", text: "still here" }).result).resolves.toBe("still here");
    team.stop();
  });

  it("turns an agent that throws synchronously into a clear task failure and keeps the team up", async () => {
    const thrower = defineAgent({
      name: "thrower",
      handle: (): string => {
        throw new TypeError("cannot read properties of undefined");
      },
    });
    const { team, seen } = createTestTeam({ agents: [thrower, echo()] });
    const error = await team
      .submit({ agent: "thrower", text: "x" })
      .result.catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      _tag: "AgentCrashed",
      message: expect.stringMatching(
        /^agent thrower crashed on task t-\w+: cannot read properties of undefined$/,
      ),
    });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(seen("agent.restarted").map((event) => event.agent)).toEqual(["thrower"]);
    await expect(team.submit({ agent: "echo", text: "alive" }).result).resolves.toBe("alive");
    await expect(team.submit({ agent: "thrower", text: "again" }).result).rejects.toMatchObject({
      _tag: "AgentCrashed",
    });
    team.stop();
  });

  it("refuses a bad agent definition with a message naming the problem", () => {
    expect(() => defineAgent({ name: "Bad Name", handle: () => 1 })).toThrow(/agent name must be lower-case/);
    expect(() =>
      defineAgent({ name: "x", heartbeat: { deadline: "forever" as never }, handle: () => 1 }),
    ).toThrow(/agent "x": heartbeat.deadline must look like/);
    expect(() => createTestTeam({ agents: [echo(), echo()] })).toThrow(
      'two agents are named "echo"; names must be unique',
    );
  });
});
