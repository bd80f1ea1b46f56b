// The research agent: plan → tool calls → a sourced summary. The model first writes a short plan
// (schema-checked), then works through it with the tools given to the factory (`ctx.llm.runTools`:
// allow-listed, arguments decoded, step-bounded — MCP tools plug in through the same LlmTool shape),
// then answers as `{ summary, sources[] }`. The thread's earlier questions and answers are given to
// the model, so a follow-up is read in context: the conversation the task carries (`task.conversation`,
// a Discord thread's history) when it has one; else from `options.memory` or, with `input.thread`, an
// in-memory store of its own; otherwise from the team's conversation store (`ctx.memory`, its
// thread being the task's channel). The task's notes (a thread's pins) are a working-memory section. Related past answers are recalled from the team's semantic
// memory before planning, and each answer is remembered (both a no-op without a store). The team's
// tools for this agent (`ctx.tools`, e.g. MCP servers') are used beside the factory's.
import { type AgentContext, defineAgent, type Task } from "@troupe/runtime";
import {
  type ChatMessage,
  conversationMessages,
  type LlmTool,
  workingMemoryMessages,
} from "@troupe/runtime/llm";
import { Schema } from "effect";
import { defineFormatters, shorten } from "../format/Formatters.ts";
import { type ConversationMemory, InMemoryConversations } from "./ConversationMemory.ts";

export const Source = Schema.Struct({
  title: Schema.String,
  /** Where it can be found: a URL, a file path, a tool and its arguments. */
  url: Schema.optional(Schema.String),
});
export type Source = typeof Source.Type;

export const ResearchPlan = Schema.Struct({ steps: Schema.Array(Schema.String) });
export type ResearchPlan = typeof ResearchPlan.Type;

export const ResearchAnswer = Schema.Struct({ summary: Schema.String, sources: Schema.Array(Source) });

export const ResearchResult = Schema.Struct({
  question: Schema.String,
  summary: Schema.String,
  sources: Schema.Array(Source),
  plan: Schema.Array(Schema.String),
  /** Tools that ran (by name, in order). */
  toolsUsed: Schema.Array(Schema.String),
  /** The conversation this answer belongs to, when the task named one. */
  thread: Schema.NullOr(Schema.String),
});
export type ResearchResult = typeof ResearchResult.Type;

export interface ResearchOptions {
  /** Tools the model may call (MCP tools arrive as LlmTools too). */
  readonly tools?: readonly LlmTool[];
  /** Names of the tools that may run (default: all given). */
  readonly allow?: readonly string[];
  /** Model calls allowed in the tool loop (default 8). */
  readonly maxSteps?: number;
  /** Where threads are remembered (default: in memory). */
  readonly memory?: ConversationMemory;
}

export const researchFormatters = defineFormatters<ResearchResult>({
  markdown: (result) =>
    [
      result.summary,
      ...(result.sources.length > 0
        ? [
            "",
            "**Sources**",
            ...result.sources.map((source, index) =>
              source.url ? `${index + 1}. [${source.title}](${source.url})` : `${index + 1}. ${source.title}`,
            ),
          ]
        : []),
    ].join("\n"),
  text: (result) =>
    [
      result.summary,
      ...(result.sources.length > 0
        ? [
            "",
            "Sources:",
            ...result.sources.map(
              (source, index) => `${index + 1}. ${source.title}${source.url ? ` <${source.url}>` : ""}`,
            ),
          ]
        : []),
    ].join("\n"),
  notification: (result) =>
    shorten(
      `${result.summary}${result.sources.length > 0 ? ` (${result.sources.length} source${result.sources.length === 1 ? "" : "s"})` : ""}`,
      140,
    ),
});

/** The question and thread of a task: text, or `input: { text | question, thread }`. */
const requestOf = (task: Task): { question: string; thread: string | null } => {
  const input = task.input as { text?: unknown; question?: unknown; thread?: unknown } | undefined;
  const structured = input && typeof input === "object" ? input : {};
  const question =
    task.text ||
    (typeof structured.question === "string" ? structured.question : "") ||
    (typeof structured.text === "string" ? structured.text : "");
  return { question, thread: typeof structured.thread === "string" ? structured.thread : null };
};

const SYSTEM =
  "You are a careful researcher. Use the tools to find facts; cite where each fact came from. Never invent sources.";

/** Where a task's thread is remembered: a ConversationMemory and a thread id, or the team's ctx.memory. */
interface ThreadMemory {
  readonly thread: string | null;
  load(): Promise<readonly ChatMessage[]>;
  append(messages: readonly ChatMessage[]): Promise<void>;
}

const threadMemory = (
  own: ConversationMemory | undefined,
  fallback: ConversationMemory,
  thread: string | null,
  ctx: AgentContext,
): ThreadMemory => {
  const store = own ?? (thread ? fallback : undefined);
  const id = thread ?? ctx.memory.thread;
  if (store) {
    return { thread: id, load: () => store.load(id), append: (messages) => store.append(id, messages) };
  }
  return {
    thread: thread,
    load: () => ctx.memory.history(),
    append: async (messages) => {
      for (const message of messages) await ctx.memory.append(message);
    },
  };
};

export const createResearch = (options: ResearchOptions = {}) => {
  const ownThreads = new InMemoryConversations();
  const given = options.tools ?? [];
  return defineAgent({
    name: "research",
    description:
      "Researches a question with its tools and answers with a sourced summary; remembers the thread.",
    capabilities: ["research"],
    format: researchFormatters,
    model: "research",
    async handle(task, ctx): Promise<ResearchResult> {
      const request = requestOf(task);
      const { question } = request;
      const memory = threadMemory(options.memory, ownThreads, request.thread, ctx);
      const thread = memory.thread;
      const history = task.conversation.length > 0 ? conversationMessages(task) : await memory.load();
      const notes = workingMemoryMessages(task);
      const related = await ctx.memory.recall(question, { limit: 3, minScore: 0.5 });
      const teamTools = ctx.tools.filter((tool) => !given.some((own) => own.name === tool.name));
      const tools = [...given, ...teamTools];
      const asked: ChatMessage = { role: "user", content: question };
      ctx.progress("planning");
      const plan = await ctx.llm.chatStructured(
        [
          { role: "system", content: `${SYSTEM} First, plan: list the few steps you will take.` },
          ...notes,
          ...(related.length > 0
            ? [
                {
                  role: "system" as const,
                  content: `Related past work (may help, may be stale):\n${related.map((memory) => `- ${memory.text}`).join("\n")}`,
                },
              ]
            : []),
          ...history,
          asked,
        ],
        ResearchPlan,
      );
      let conversation: readonly ChatMessage[] = [
        { role: "system", content: SYSTEM },
        ...notes,
        ...history,
        asked,
        {
          role: "assistant",
          content: `Plan:\n${plan.value.steps.map((step, i) => `${i + 1}. ${step}`).join("\n")}`,
        },
      ];
      const toolsUsed: string[] = [];
      if (tools.length > 0) {
        ctx.progress("looking things up");
        const run = await ctx.llm.runTools(
          [...conversation, { role: "user", content: "Carry out the plan." }],
          tools,
          {
            // The factory's allow-list limits the factory's tools; the team's are allow-listed already.
            ...(options.allow ? { allow: [...options.allow, ...teamTools.map((tool) => tool.name)] } : {}),
            ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}),
            onToolCall: (call) => {
              if (call.outcome === "ran") toolsUsed.push(call.name);
              ctx.progress(`${call.name}: ${call.outcome}`);
            },
          },
        );
        conversation = run.messages;
      }
      ctx.progress("writing the answer");
      const answer = await ctx.llm.chatStructured(
        [
          ...conversation,
          {
            role: "user",
            content:
              "Answer the question now as JSON: a summary, and the sources it rests on (title, and url or where it was found).",
          },
        ],
        ResearchAnswer,
      );
      await memory.append([asked, { role: "assistant", content: answer.value.summary }]);
      await ctx.memory.remember(answer.value.summary, { question });
      return {
        question,
        summary: answer.value.summary,
        sources: answer.value.sources,
        plan: plan.value.steps,
        toolsUsed,
        thread,
      };
    },
  });
};
