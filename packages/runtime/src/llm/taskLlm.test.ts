// `ctx.llm`: the agent's role resolves to its model once per team, calls are cancelled with the task,
// and streamed tokens keep the task alive and show as progress.
import { describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { createTestTeam } from "../testing/index.ts";
import { ScriptedModel } from "../testing/ScriptedModel.ts";

describe("ctx.llm", () => {
  it("gives an agent the model of its role, with tokens as heartbeats and progress", async () => {
    const model = new ScriptedModel([{ tokens: ["The ", "incident ", "was ", "DNS."] }], {
      role: "research",
    });
    const roles: string[] = [];
    const researcher = defineAgent({
      name: "researcher",
      model: "research",
      heartbeat: { deadline: "10s" },
      async handle(task, ctx) {
        const reply = await ctx.llm.chat([{ role: "user", content: task.text }]);
        return reply.content;
      },
    });
    const { team, seen } = createTestTeam({
      agents: [researcher],
      llm: (role) => {
        roles.push(role);
        return model;
      },
    });
    await expect(team.submit({ agent: "researcher", text: "why?" }).result).resolves.toBe(
      "The incident was DNS.",
    );
    await expect(team.submit({ agent: "researcher", text: "again?" }).result).resolves.toBe(
      "The incident was DNS.",
    );
    expect(roles).toEqual(["research"]);
    expect(seen("task.progress")[0]?.message).toBe("generating with scripted (1 tokens)");
    expect(model.calls[0]?.options.signal).toBeInstanceOf(AbortSignal);
    team.stop();
  });

  it("cancels the model call when the task is cancelled", async () => {
    const model = new ScriptedModel([{ hang: true }]);
    const agent = defineAgent({
      name: "thinker",
      handle: async (task, ctx) => (await ctx.llm.chat([{ role: "user", content: task.text }])).content,
    });
    const { team, next } = createTestTeam({ agents: [agent], llm: () => model });
    const run = team.submit({ agent: "thinker", text: "ponder" });
    await next("task.started");
    team.cancel(run.id, "enough");
    await expect(run.result).rejects.toMatchObject({ _tag: "Cancelled", reason: "enough" });
    expect(model.calls[0]?.options.signal?.aborted).toBe(true);
    team.stop();
  });

  it("says what to do when the team has no models", async () => {
    const agent = defineAgent({ name: "lonely", handle: (_task, ctx) => ctx.llm.model });
    const { team } = createTestTeam({ agents: [agent] });
    await expect(team.submit({ agent: "lonely", text: "x" }).result).rejects.toThrow(
      /agent lonely used ctx.llm, but the team has no models: pass `llm: \(role\) => …` to createSupervisor/,
    );
    team.stop();
  });
});
