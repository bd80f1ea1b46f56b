import { describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { createTestTeam } from "../testing/index.ts";
import { MemoryConversationMemory } from "./ConversationMemory.ts";
import type { Embedder } from "./SemanticMemory.ts";
import { openSqliteSemanticMemory } from "./SqliteSemanticMemory.ts";

/** Letter counts as a vector: texts sharing letters are similar, deterministically. */
const letters: Embedder = {
  model: "letters",
  embed: async (texts) =>
    texts.map((text) =>
      Array.from({ length: 26 }, (_, index) => text.split(String.fromCharCode(97 + index)).length - 1),
    ),
};

describe("ctx.memory", () => {
  it("gives a follow-up in the same thread the conversation so far, and recalls related past work", async () => {
    const conversation = new MemoryConversationMemory();
    const semantic = openSqliteSemanticMemory({ path: ":memory:", embedder: letters, vector: "plain" });
    const researcher = defineAgent({
      name: "researcher",
      async handle(task, ctx) {
        const before = await ctx.memory.history();
        const related = await ctx.memory.recall(task.text, { limit: 1 });
        await ctx.memory.append({ role: "user", content: task.text });
        await ctx.memory.remember(task.text);
        return {
          thread: ctx.memory.thread,
          before: before.map((message) => message.content),
          related: related[0]?.text,
        };
      },
    });
    const { team } = createTestTeam({ agents: [researcher], memory: { conversation, semantic } });
    const first = await team.submit({ agent: "researcher", text: "zebra zoo", channel: "thread-9" }).result;
    expect(first).toEqual({ thread: "thread-9", before: [], related: undefined });
    await team.submit({ agent: "researcher", text: "apple pie", channel: "other" }).result;
    const followUp = await team.submit({ agent: "researcher", text: "zoo zebra?", channel: "thread-9" })
      .result;
    expect(followUp).toEqual({ thread: "thread-9", before: ["zebra zoo"], related: "zebra zoo" });
    team.stop();
    await semantic.close();
  });

  it("answers empty without memory stores", async () => {
    const agent = defineAgent({
      name: "plain",
      async handle(_task, ctx) {
        await ctx.memory.append({ role: "user", content: "x" });
        return [await ctx.memory.history(), await ctx.memory.recall("x"), await ctx.memory.remember("x")];
      },
    });
    const { team } = createTestTeam({ agents: [agent] });
    await expect(team.submit({ agent: "plain", text: "x" }).result).resolves.toEqual([[], [], undefined]);
    team.stop();
  });
});
