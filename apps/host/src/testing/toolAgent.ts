// Test support, never in the default team: a `tooler` agent that runs one of its tools (ctx.tools,
// the MCP tools on its allow-list) without a model — "/ask tooler <tool> <JSON arguments>" — so a
// test can see MCP configuration reach an agent through the real CLI. Added only when
// TROUPE_TEST_AGENTS names it.
import { defineAgent, TroupeError } from "@troupe/runtime";

export const toolAgent = defineAgent({
  name: "tooler",
  description: "Test support: runs the tool named in its text with the JSON arguments after it.",
  capabilities: [],
  async handle(task, ctx) {
    const [name = "", ...rest] = task.text.trim().split(/\s+/);
    const tool = ctx.tools.find((candidate) => candidate.name === name);
    if (!tool) {
      const names = ctx.tools.map((candidate) => candidate.name).join(", ") || "none";
      throw new TroupeError("InvalidTask", `tooler has no tool "${name}" (its tools: ${names})`);
    }
    const args: unknown = JSON.parse(rest.join(" ") || "{}");
    return { text: `${name} → ${String(await tool.run(args as never, ctx.signal))}` };
  },
});
