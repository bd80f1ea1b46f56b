// The research agent: plan, tool calls, a sourced summary; a follow-up in the same thread sees the
// earlier exchange; one run through the real ollama client against the stand-in.
import { createInspector, createSupervisor } from "@troupe/runtime";
import { defineTool } from "@troupe/runtime/llm";
import { MemoryConversationMemory, type SemanticMemory } from "@troupe/runtime/memory";
import { createOllamaLlm } from "@troupe/runtime/ollama";
import { createTestTeam, ScriptedModel } from "@troupe/runtime/testing";
import { Schema } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "../../../../test/harness/ollamaStandIn.ts";
import { InMemoryConversations } from "./ConversationMemory.ts";
import { createResearch, researchFormatters } from "./research.ts";

const searches: string[] = [];
const search = defineTool({
  name: "search",
  description: "Search the notes",
  parameters: Schema.Struct({ query: Schema.String }),
  run: ({ query }) => {
    searches.push(query);
    return `notes/dns.md: the 1998 outage was a DNS misconfiguration (${query})`;
  },
});

const answer = {
  summary: "The 1998 outage was caused by a DNS misconfiguration.",
  sources: [{ title: "DNS notes", url: "notes/dns.md" }],
};

describe("research agent", () => {
  it("plans, calls its tools and answers with sources", async () => {
    searches.length = 0;
    const model = new ScriptedModel([
      { json: { steps: ["search the notes for the 1998 outage"] } },
      { toolCalls: [{ name: "search", arguments: { query: "1998 outage" } }] },
      "Found it in the DNS notes.",
      { json: answer },
    ]);
    const research = createResearch({ tools: [search] });
    const { team } = createTestTeam({ agents: [research], llm: () => model });
    const result = await team.ask(research, "What caused the 1998 outage?").result;
    expect(result).toEqual({
      question: "What caused the 1998 outage?",
      summary: answer.summary,
      sources: answer.sources,
      plan: ["search the notes for the 1998 outage"],
      toolsUsed: ["search"],
      thread: null,
    });
    expect(searches).toEqual(["1998 outage"]);
    // The answer was written with the tool's result in view.
    expect(
      model
        .messages(3)
        .some((message) => message.role === "tool" && message.content.includes("notes/dns.md")),
    ).toBe(true);
    expect(researchFormatters.markdown(result)).toBe(
      `${answer.summary}\n\n**Sources**\n1. [DNS notes](notes/dns.md)`,
    );
    expect(researchFormatters.text(result)).toContain("1. DNS notes <notes/dns.md>");
    expect(researchFormatters.notification(result)).toBe(`${answer.summary} (1 source)`);
    team.stop();
  });

  it("shows its own chart in the inspector, and each step it takes, model and tool steps by name", async () => {
    const model = new ScriptedModel([
      { json: { steps: ["search the notes"] } },
      { toolCalls: [{ name: "search", arguments: { query: "outage" } }] },
      "Found it.",
      { json: answer },
    ]);
    const research = createResearch({ tools: [search] });
    const inspector = createInspector();
    const { team } = createTestTeam({ agents: [research], llm: () => model, inspect: inspector.inspect });
    await team.ask(research, "What caused the 1998 outage?").result;
    team.stop();
    const records = inspector.records();
    const chart = records.find((record) => record.kind === "machine" && record.machine === "research");
    expect(
      chart?.kind === "machine" && chart.graph.root.states.map((state) => [state.key, state.invoke]),
    ).toEqual([
      ["planning", [expect.objectContaining({ src: "plan" })]],
      ["choosing", []],
      ["gathering", [expect.objectContaining({ src: "gather" })]],
      ["summarizing", [expect.objectContaining({ src: "summarize" })]],
      ["remembering", [expect.objectContaining({ src: "remember" })]],
      ["done", []],
    ]);
    const run = records.find((record) => record.kind === "actor" && record.machine === "research");
    const visited = records.flatMap((record) =>
      record.kind === "snapshot" && run?.kind === "actor" && record.actor === run.actor ? [record.value] : [],
    );
    expect(visited).toEqual(["planning", "gathering", "summarizing", "remembering", "done"]);
  });

  it("limits its own tools by the factory's allow-list and keeps the team's (already allow-listed) ones", async () => {
    const read = defineTool({
      name: "files_read",
      description: "Read a file",
      parameters: Schema.Struct({ path: Schema.String }),
      run: () => "",
    });
    const hidden = defineTool({
      name: "hidden",
      description: "Not on the factory's list",
      parameters: Schema.Struct({}),
      run: () => "",
    });
    const model = new ScriptedModel([{ json: { steps: ["look"] } }, "Nothing to look up.", { json: answer }]);
    const research = createResearch({ tools: [search, hidden], allow: ["search"] });
    const { team } = createTestTeam({ agents: [research], llm: () => model, tools: () => [read] });
    await team.ask(research, "What caused the 1998 outage?").result;
    expect(model.calls[1]?.options.tools?.map((tool) => tool.name)).toEqual(["search", "files_read"]);
    team.stop();
  });

  it("remembers the thread for a follow-up, and keeps threads apart", async () => {
    const model = new ScriptedModel([
      { json: { steps: ["answer"] } },
      { json: { summary: "It was DNS.", sources: [] } },
      { json: { steps: ["answer again"] } },
      { json: { summary: "It lasted two hours.", sources: [] } },
      { json: { steps: ["fresh"] } },
      { json: { summary: "Which outage?", sources: [] } },
    ]);
    const memory = new InMemoryConversations();
    const research = createResearch({ memory });
    const { team } = createTestTeam({ agents: [research], llm: () => model });
    await team.ask(research, { text: "What caused the outage?", input: { thread: "th-1" } }).result;
    const followUp = await team.ask(research, { text: "How long did it last?", input: { thread: "th-1" } })
      .result;
    expect(followUp).toMatchObject({ summary: "It lasted two hours.", thread: "th-1" });
    const planOfFollowUp = model.messages(2).map((message) => message.content);
    expect(planOfFollowUp).toContain("What caused the outage?");
    expect(planOfFollowUp).toContain("It was DNS.");
    await team.ask(research, { text: "How long did it last?", input: { thread: "th-2" } }).result;
    expect(model.messages(4).map((message) => message.content)).not.toContain("It was DNS.");
    expect(await memory.load("th-1")).toHaveLength(4);
    team.stop();
  });

  it("reads a follow-up with the conversation it carries as prior turns and its notes as working memory", async () => {
    const model = new ScriptedModel([
      { json: { steps: ["answer"] } },
      { json: { summary: "Two hours.", sources: [] } },
    ]);
    const research = createResearch({ memory: new InMemoryConversations() });
    const { team } = createTestTeam({ agents: [research], llm: () => model });
    await team.ask(research, {
      text: "How long did it last?",
      input: { thread: "th-1" },
      conversation: [
        { role: "user", name: "ana", content: "What caused the outage?" },
        { role: "assistant", name: "research", content: "It was DNS." },
      ],
      notes: ["The outage was on 3 May."],
    }).result;
    for (const call of [0, 1]) {
      const received = model.messages(call);
      expect(received[1]).toEqual({
        role: "system",
        content:
          "Working memory (notes pinned for this task; keep them in mind):\n- The outage was on 3 May.",
      });
      expect(received.slice(2, 5)).toEqual([
        { role: "user", content: "ana: What caused the outage?" },
        { role: "assistant", content: "It was DNS." },
        { role: "user", content: "How long did it last?" },
      ]);
    }
    team.stop();
  });

  it("uses the team's memory and tools: the channel's thread, recall before planning, ctx.tools", async () => {
    searches.length = 0;
    const remembered: string[] = [];
    const semantic: SemanticMemory = {
      search: "plain",
      remember: async (text) => {
        remembered.push(text);
        return { id: "m-1", text, metadata: {}, createdAt: 0 };
      },
      recall: async () => [
        { id: "m-0", text: "In 2019 it was also DNS.", metadata: {}, createdAt: 0, score: 0.9 },
      ],
      forget: async () => {},
      close: async () => {},
    };
    const model = new ScriptedModel([
      { json: { steps: ["search"] } },
      { toolCalls: [{ name: "search", arguments: { query: "outage" } }] },
      "found",
      { json: answer },
      { json: { steps: ["recall"] } },
      "nothing to call",
      { json: { summary: "Two hours.", sources: [] } },
    ]);
    const research = createResearch();
    const { team } = createTestTeam({
      agents: [research],
      llm: () => model,
      tools: () => [search],
      memory: { conversation: new MemoryConversationMemory(), semantic },
    });
    await team.ask(research, { text: "What caused the outage?", channel: "incident-7" }).result;
    expect(searches).toEqual(["outage"]);
    expect(model.messages(0).map((message) => message.content)).toContain(
      "Related past work (may help, may be stale):\n- In 2019 it was also DNS.",
    );
    expect(remembered).toEqual([answer.summary]);
    const followUp = await team.ask(research, { text: "How long?", channel: "incident-7" }).result;
    expect(followUp.summary).toBe("Two hours.");
    expect(model.messages(4).map((message) => message.content)).toContain(answer.summary);
    team.stop();
  });

  it("fails clearly when the model's answer never matches the schema", async () => {
    const model = new ScriptedModel([{ json: { steps: [] } }, { json: { summary: 3 } }]);
    const research = createResearch();
    const { team } = createTestTeam({ agents: [research], llm: () => model });
    await expect(team.ask(research, "anything").result).rejects.toMatchObject({ _tag: "ModelBadResponse" });
    team.stop();
  });
});

describe("research on the Ollama stand-in", () => {
  let standIn: OllamaStandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  it("runs plan, tool call and answer through the real ollama client", async () => {
    searches.length = 0;
    standIn = await startOllamaStandIn({
      replies: [
        { content: JSON.stringify({ steps: ["search"] }) },
        { toolCalls: [{ name: "search", arguments: { query: "outage" } }] },
        { content: "done" },
        { content: JSON.stringify(answer) },
      ],
    });
    const url = standIn.url;
    const research = createResearch({ tools: [search] });
    const team = createSupervisor({
      agents: [research],
      llm: (role) => createOllamaLlm({ host: url, model: "qwen3:8b", role }),
    });
    const result = await team.ask(research, "What caused the 1998 outage?").result;
    expect(result.sources).toEqual(answer.sources);
    expect(searches).toEqual(["outage"]);
    expect(standIn.requestsTo("/api/chat")).toHaveLength(4);
    team.stop();
  });
});
