import { Schema } from "effect";
import { describe, expect, it } from "vitest";
import { defineTool } from "../llm/defineTool.ts";
import { createTestTeam, scriptedAgent } from "../testing/index.ts";

describe("ctx.tools", () => {
  it("gives each agent the tools the team's `tools` allows it, and none without it", async () => {
    const search = defineTool({
      name: "search",
      description: "search",
      parameters: Schema.Struct({ query: Schema.String }),
      run: () => "found",
    });
    const names = (tools: readonly { name: string }[]) => tools.map((tool) => tool.name);
    const research = scriptedAgent("research", [{ run: (_task, ctx) => names(ctx.tools) }]);
    const code = scriptedAgent("code", [{ run: (_task, ctx) => names(ctx.tools) }]);
    const { team } = createTestTeam({
      agents: [research, code],
      tools: (agent) => (agent === "research" ? [search] : []),
    });
    await expect(team.submit({ agent: "research", text: "x" }).result).resolves.toEqual(["search"]);
    await expect(team.submit({ agent: "code", text: "x" }).result).resolves.toEqual([]);
    team.stop();
    const bare = createTestTeam({
      agents: [scriptedAgent("a", [{ run: (_task, ctx) => ctx.tools.length }])],
    });
    await expect(bare.team.submit({ agent: "a", text: "x" }).result).resolves.toBe(0);
    bare.team.stop();
  });
});
