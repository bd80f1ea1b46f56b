// The research agent, as a statechart: planning → gathering (tools) → summarizing → remembering.
// Each step is a named invoked actor (`taskStep`) carrying the task's signal, and the run is saved
// after every step, so a host killed mid-task resumes at the step it was in: the model is never asked
// again for a step that had finished. Planning reads the thread's earlier questions and answers (the
// conversation the task carries — a Discord thread's history — else `options.memory`, or with
// `input.thread` an in-memory store of its own, else the team's conversation store, `ctx.memory`),
// the task's notes (a thread's pins) as working memory, and related past answers recalled from the
// team's semantic memory; it writes a short schema-checked plan. Gathering runs only when there are
// tools (the factory's and the team's for this agent, `ctx.tools`): the model carries out the plan
// with them (`ctx.llm.runTools`: allow-listed, arguments decoded, step-bounded). Summarizing answers
// as `{ summary, sources[] }`; a step that failed for a transient reason is tried again, twice at most.
// Remembering appends the exchange to the thread and the answer to semantic memory (no-ops without
// stores).
import {
  type AgentContext,
  type AgentMachineInput,
  defineAgent,
  isTroupeError,
  type Task,
  taskStep,
} from "@troupe/runtime";
import {
  type ChatMessage,
  conversationMessages,
  type LlmTool,
  workingMemoryMessages,
} from "@troupe/runtime/llm";
import { Schema } from "effect";
import { assign, setup } from "xstate";
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

/**
 * How often a step that failed for a transient reason (the model server unreachable for a moment, a
 * stream cut short) is tried again. A model that did not answer within its deadline (ModelTimeout) is
 * not waited for again here: the attempt fails at once, and the team's retry (🔁, backed off, the
 * reason shown) decides, so a hung model costs one deadline an attempt, not three.
 */
const STEP_RETRIES = 2;

/** What the run keeps between steps: plain JSON, saved after every step. */
interface ResearchContext {
  readonly question: string;
  readonly thread: string | null;
  /** The turns the task carries (a Discord thread's history), or null to load the thread's memory. */
  readonly carried: readonly ChatMessage[] | null;
  readonly notes: readonly ChatMessage[];
  readonly plan: readonly string[];
  /** The conversation so far: the question, the plan and, after gathering, the tool calls. */
  readonly conversation: readonly ChatMessage[];
  readonly withTools: boolean;
  readonly toolsUsed: readonly string[];
  readonly answer: typeof ResearchAnswer.Type | undefined;
  readonly retries: number;
}

export const createResearch = (options: ResearchOptions = {}) => {
  const ownThreads = new InMemoryConversations();
  const given = options.tools ?? [];
  const memoryOf = (ctx: AgentContext, thread: string | null) =>
    threadMemory(options.memory, ownThreads, thread, ctx);
  const teamToolsOf = (ctx: AgentContext) =>
    ctx.tools.filter((tool) => !given.some((own) => own.name === tool.name));

  const plan = taskStep<
    {
      plan: readonly string[];
      conversation: readonly ChatMessage[];
      thread: string | null;
      withTools: boolean;
    },
    Pick<ResearchContext, "question" | "thread" | "carried" | "notes">
  >(async ({ input, ctx }) => {
    const memory = memoryOf(ctx, input.thread);
    const history = input.carried ?? (await memory.load());
    const related = await ctx.memory.recall(input.question, { limit: 3, minScore: 0.5 });
    const asked: ChatMessage = { role: "user", content: input.question };
    ctx.progress("planning");
    const planned = await ctx.llm.chatStructured(
      [
        { role: "system", content: `${SYSTEM} First, plan: list the few steps you will take.` },
        ...input.notes,
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
    return {
      plan: planned.value.steps,
      thread: memory.thread,
      withTools: given.length + teamToolsOf(ctx).length > 0,
      conversation: [
        { role: "system", content: SYSTEM },
        ...input.notes,
        ...history,
        asked,
        {
          role: "assistant",
          content: `Plan:\n${planned.value.steps.map((step, i) => `${i + 1}. ${step}`).join("\n")}`,
        },
      ],
    };
  });

  const gather = taskStep<
    { conversation: readonly ChatMessage[]; toolsUsed: readonly string[] },
    { conversation: readonly ChatMessage[] }
  >(async ({ input, ctx }) => {
    ctx.progress("looking things up");
    const teamTools = teamToolsOf(ctx);
    const toolsUsed: string[] = [];
    const run = await ctx.llm.runTools(
      [...input.conversation, { role: "user", content: "Carry out the plan." }],
      [...given, ...teamTools],
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
    return { conversation: run.messages, toolsUsed };
  });

  const summarize = taskStep<typeof ResearchAnswer.Type, { conversation: readonly ChatMessage[] }>(
    async ({ input, ctx }) => {
      ctx.progress("writing the answer");
      const answer = await ctx.llm.chatStructured(
        [
          ...input.conversation,
          {
            role: "user",
            content:
              "Answer the question now as JSON: a summary, and the sources it rests on (title, and url or where it was found).",
          },
        ],
        ResearchAnswer,
      );
      return answer.value;
    },
  );

  const remember = taskStep<void, { question: string; thread: string | null; summary: string }>(
    async ({ input, ctx }) => {
      await memoryOf(ctx, input.thread).append([
        { role: "user", content: input.question },
        { role: "assistant", content: input.summary },
      ]);
      await ctx.memory.remember(input.summary, { question: input.question });
    },
  );

  const machine = setup({
    types: {} as { input: AgentMachineInput; context: ResearchContext; output: ResearchResult },
    actors: { plan, gather, summarize, remember },
    guards: {
      hasTools: ({ context }) => context.withTools,
      /** A transient failure but a timeout, with retries left: the step runs again; otherwise the task fails. */
      mayRetry: ({ context, event }) => {
        const error = (event as { error?: unknown }).error;
        return (
          context.retries < STEP_RETRIES &&
          isTroupeError(error) &&
          error.transient &&
          error._tag !== "ModelTimeout"
        );
      },
    },
    actions: {
      countRetry: assign({ retries: ({ context }) => context.retries + 1 }),
      resetRetries: assign({ retries: 0 }),
    },
  }).createMachine({
    id: "research",
    context: ({ input }) => {
      const { question, thread } = requestOf(input.task);
      return {
        question,
        thread,
        carried: input.task.conversation.length > 0 ? conversationMessages(input.task) : null,
        notes: workingMemoryMessages(input.task),
        plan: [],
        conversation: [],
        withTools: false,
        toolsUsed: [],
        answer: undefined,
        retries: 0,
      };
    },
    initial: "planning",
    states: {
      planning: {
        invoke: {
          src: "plan",
          input: ({ context }) => ({
            question: context.question,
            thread: context.thread,
            carried: context.carried,
            notes: context.notes,
          }),
          onDone: {
            target: "choosing",
            actions: assign(({ event }) => ({ ...event.output, retries: 0 })),
          },
          onError: { guard: "mayRetry", target: "planning", reenter: true, actions: "countRetry" },
        },
      },
      choosing: {
        always: [{ guard: "hasTools", target: "gathering" }, { target: "summarizing" }],
      },
      gathering: {
        invoke: {
          src: "gather",
          input: ({ context }) => ({ conversation: context.conversation }),
          onDone: {
            target: "summarizing",
            actions: assign(({ event }) => ({ ...event.output, retries: 0 })),
          },
          onError: { guard: "mayRetry", target: "gathering", reenter: true, actions: "countRetry" },
        },
      },
      summarizing: {
        invoke: {
          src: "summarize",
          input: ({ context }) => ({ conversation: context.conversation }),
          onDone: {
            target: "remembering",
            actions: assign(({ event }) => ({ answer: event.output, retries: 0 })),
          },
          onError: { guard: "mayRetry", target: "summarizing", reenter: true, actions: "countRetry" },
        },
      },
      remembering: {
        invoke: {
          src: "remember",
          input: ({ context }) => ({
            question: context.question,
            thread: context.thread,
            summary: context.answer!.summary,
          }),
          onDone: "done",
          onError: { guard: "mayRetry", target: "remembering", reenter: true, actions: "countRetry" },
        },
      },
      done: { type: "final" },
    },
    output: ({ context }) => ({
      question: context.question,
      summary: context.answer!.summary,
      sources: context.answer!.sources,
      plan: context.plan,
      toolsUsed: context.toolsUsed,
      thread: context.thread,
    }),
  });

  return defineAgent({
    name: "research",
    description:
      "Researches a question with its tools and answers with a sourced summary; remembers the thread.",
    capabilities: ["research"],
    format: researchFormatters,
    model: "research",
    machine,
  });
};
