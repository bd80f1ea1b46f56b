// The per-task step budget: every model call a task makes through ctx.llm counts (each tool-loop step
// too) against its agent's maxSteps; past it a call fails with StepLimit, and a new task starts afresh.
import { Schema } from "effect";
import { describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { isTroupeError } from "../errors/TroupeError.ts";
import { createTestTeam } from "../testing/index.ts";
import { ScriptedModel } from "../testing/ScriptedModel.ts";
import { defineTool } from "./defineTool.ts";

const ping = defineTool({
  name: "ping",
  description: "ping",
  parameters: Schema.Struct({}),
  run: () => "pong",
});

describe("the per-task step budget", () => {
  it("fails the call past the agent's maxSteps with StepLimit, and gives each task its own budget", async () => {
    const model = new ScriptedModel(["ok"]);
    const chatty = defineAgent({
      name: "chatty",
      maxSteps: 3,
      async handle(task, ctx) {
        for (let call = 1; call <= Number(task.text); call += 1)
          await ctx.llm.chat([{ role: "user", content: "hi" }]);
        return "done";
      },
    });
    const { team } = createTestTeam({ agents: [chatty], llm: () => model });
    await expect(team.submit({ agent: "chatty", text: "3" }).result).resolves.toBe("done");
    const error = await team.submit({ agent: "chatty", text: "4" }).result.catch((caught: unknown) => caught);
    expect(isTroupeError(error, "StepLimit")).toBe(true);
    expect((error as Error).message).toContain("the task used its whole budget of 3 model calls");
    team.stop();
  });

  it("bounds the tool loop by what is left of the budget", async () => {
    const model = new ScriptedModel(["first", { toolCalls: [{ name: "ping", arguments: {} }] }]);
    const looper = defineAgent({
      name: "looper",
      maxSteps: 4,
      async handle(_task, ctx) {
        await ctx.llm.chat([{ role: "user", content: "plan" }]);
        return ctx.llm.runTools([{ role: "user", content: "go" }], [ping]);
      },
    });
    const { team } = createTestTeam({ agents: [looper], llm: () => model });
    const error = await team.submit({ agent: "looper", text: "x" }).result.catch((caught: unknown) => caught);
    expect(isTroupeError(error, "StepLimit")).toBe(true);
    expect(model.calls).toHaveLength(4); // one chat, then three tool-loop steps
    team.stop();
  });

  it("refuses a maxSteps that is not a whole number of at least 1", () => {
    expect(() => defineAgent({ name: "bad", maxSteps: 0, handle: () => 1 })).toThrow(
      'agent "bad": maxSteps must be a whole number of at least 1, got 0',
    );
  });
});
