import { describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { TroupeError } from "../errors/TroupeError.ts";
import type { Logger } from "../log/Logger.ts";
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

/** Recalls what is like the task's text, then remembers the text. */
const recallsAndRemembers = defineAgent({
  name: "researcher",
  async handle(task, ctx) {
    const related = await ctx.memory.recall(task.text);
    const kept = await ctx.memory.remember(task.text);
    return { related: related.map((memory) => memory.text), kept: kept !== undefined };
  },
});

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

  it("runs tasks without recall while the embedding model is missing, with one warning, and recalls again once it is back", async () => {
    let missing = true;
    const embedder: Embedder = {
      model: "nomic-embed-text",
      embed: async (texts, signal) => {
        if (missing)
          throw new TroupeError("ModelNotFound", 'model "nomic-embed-text" is not in Ollama: pull it');
        return letters.embed(texts, signal);
      },
    };
    const warnings: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const logger: Logger = {
      log: (level, msg, fields) => warnings.push({ level, msg, ...(fields ? { fields } : {}) }),
    };
    const semantic = openSqliteSemanticMemory({ path: ":memory:", embedder, vector: "plain" });
    const { team } = createTestTeam({ agents: [recallsAndRemembers], memory: { semantic }, logger });
    const ask = (text: string) => team.submit({ agent: "researcher", text }).result;
    await expect(ask("zebra zoo")).resolves.toEqual({ related: [], kept: false });
    await expect(ask("zebra zoo")).resolves.toEqual({ related: [], kept: false });
    expect(warnings.filter((record) => record.level === "warn")).toEqual([
      {
        level: "warn",
        msg: "semantic memory off: its embedding model is missing; tasks run without recall",
        fields: { error: 'model "nomic-embed-text" is not in Ollama: pull it' },
      },
    ]);
    missing = false;
    await expect(ask("zebra zoo")).resolves.toEqual({ related: [], kept: true });
    await expect(ask("zebra zoo")).resolves.toEqual({ related: ["zebra zoo"], kept: true });
    expect(warnings.map((record) => record.msg)).toContain(
      "semantic memory back on: its embedding model answers again",
    );
    team.stop();
    await semantic.close();
  });

  it.each([
    ["ModelUnavailable", "its embedding model cannot be reached"],
    ["ModelBusy", "its embedding model is busy"],
    ["ModelTimeout", "its embedding model did not answer in time"],
    ["ModelRejected", "its embedding model refused the request"],
    ["ModelBadResponse", "its embedding model answered something malformed"],
  ] as const)(
    "runs tasks without recall while the embedder fails with %s, saying why once",
    async (tag, why) => {
      const embedder: Embedder = {
        model: "nomic-embed-text",
        embed: async () => {
          throw new TroupeError(tag, `embedder: ${tag}`);
        },
      };
      const warnings: string[] = [];
      const logger: Logger = { log: (level, msg) => level === "warn" && warnings.push(msg) };
      const semantic = openSqliteSemanticMemory({ path: ":memory:", embedder, vector: "plain" });
      const { team } = createTestTeam({ agents: [recallsAndRemembers], memory: { semantic }, logger });
      for (const text of ["zebra", "zoo"])
        await expect(team.submit({ agent: "researcher", text }).result).resolves.toEqual({
          related: [],
          kept: false,
        });
      expect(warnings).toEqual([`semantic memory off: ${why}; tasks run without recall`]);
      team.stop();
      await semantic.close();
    },
  );

  it("fails the task on a store error that is not its embedder's", async () => {
    const semantic = openSqliteSemanticMemory({ path: ":memory:", embedder: letters, vector: "plain" });
    await semantic.close(); // every call now fails in SQLite
    const agent = defineAgent({ name: "researcher", handle: (task, ctx) => ctx.memory.recall(task.text) });
    const { team } = createTestTeam({ agents: [agent], memory: { semantic } });
    await expect(team.submit({ agent: "researcher", text: "zebra" }).result).rejects.toThrow();
    team.stop();
  });
});
