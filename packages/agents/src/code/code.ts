// The code agent, as a statechart: understanding → reviewing, or proposing → awaitingApproval →
// applying → reporting. A diff or a file is reviewed in one structured, schema-checked step (findings
// with severity, file and line). A question goes to the model, which may use the team's tools for it
// (`ctx.tools`: the MCP tools on its allow-list) and, when the agent has a workspace, propose writes
// and commands; each proposed action waits for a person's approval of that exact action, is applied
// only on a yes, and the model is then told what became of them and answers (or proposes again, up to
// MAX_ROUNDS rounds). Every step is a named invoked actor carrying the task's signal, saved as it ends:
// a host killed mid-task resumes at its step, and an approval already given is not asked again. The
// task's working memory (notes) and the conversation it continues come before the request.
import { type AgentMachineInput, type Approval, defineAgent, type Task, taskStep } from "@troupe/runtime";
import { type ChatMessage, taskContextMessages } from "@troupe/runtime/llm";
import { Schema } from "effect";
import { assign, setup } from "xstate";
import { defineFormatters, shorten } from "../format/Formatters.ts";
import {
  type ActionRecord,
  applyAction,
  type CodeActions,
  type ProposedAction,
  proposalTools,
  targetOf,
} from "./CodeActions.ts";

export const Finding = Schema.Struct({
  severity: Schema.Literals(["info", "minor", "major", "critical"]),
  file: Schema.optional(Schema.String),
  /** The line in the new version of the file, when the finding has one. */
  line: Schema.optional(Schema.Number),
  message: Schema.String,
  suggestion: Schema.optional(Schema.String),
});
export type Finding = typeof Finding.Type;

export const CodeReview = Schema.Struct({ summary: Schema.String, findings: Schema.Array(Finding) });

export const CodeResult = Schema.Struct({
  kind: Schema.Literals(["answer", "review"]),
  /** The answer, or the review's summary. */
  text: Schema.String,
  findings: Schema.Array(Finding),
  actions: Schema.Array(
    Schema.Struct({
      kind: Schema.Literals(["write", "command"]),
      target: Schema.String,
      approved: Schema.Boolean,
      by: Schema.NullOr(Schema.String),
      outcome: Schema.String,
    }),
  ),
});
export type CodeResult = typeof CodeResult.Type;

export interface CodeAgentOptions {
  /** Where approved writes and commands happen; without it the agent only reads and answers. */
  readonly workspace?: CodeActions;
  /** Model calls allowed when using tools (default 8). */
  readonly maxSteps?: number;
}

const ORDER = { critical: 0, major: 1, minor: 2, info: 3 } as const;
const where = (finding: Finding) =>
  finding.file
    ? `${finding.file}${finding.line === undefined ? "" : `:${finding.line}`}`
    : finding.line === undefined
      ? ""
      : `line ${finding.line}`;

export const codeFormatters = defineFormatters<CodeResult>({
  markdown: (result) =>
    [
      result.text,
      ...(result.findings.length > 0 ? [""] : []),
      ...result.findings.map(
        (finding) =>
          `- **${finding.severity}**${where(finding) ? ` \`${where(finding)}\`` : ""}: ${finding.message}${finding.suggestion ? ` — _${finding.suggestion}_` : ""}`,
      ),
      ...result.actions.map(
        (action) =>
          `- ${action.approved ? "✅" : "🚫"} ${action.kind} \`${action.target}\`: ${action.outcome}`,
      ),
    ].join("\n"),
  text: (result) =>
    [
      result.text,
      ...result.findings.map(
        (finding) =>
          `[${finding.severity}]${where(finding) ? ` ${where(finding)}` : ""} ${finding.message}${finding.suggestion ? ` (${finding.suggestion})` : ""}`,
      ),
      ...result.actions.map((action) => `${action.kind} ${action.target}: ${action.outcome}`),
    ].join("\n"),
  notification: (result) => {
    if (result.kind === "answer") return shorten(result.text, 140);
    const counts = (["critical", "major", "minor", "info"] as const)
      .map((severity) => [severity, result.findings.filter((f) => f.severity === severity).length] as const)
      .filter(([, count]) => count > 0)
      .map(([severity, count]) => `${count} ${severity}`);
    return shorten(`review: ${counts.length > 0 ? counts.join(", ") : "no findings"} — ${result.text}`, 140);
  },
});

interface CodeInput {
  readonly question: string;
  readonly diff?: string;
  readonly file?: { readonly path: string; readonly content: string };
}

const DIFF = /^(?:diff --git |--- \S|\+\+\+ \S|@@ )/m;

/** What the task gives: `input: { question?, diff?, file? }`, or text holding a diff. */
const inputOf = (task: Task): CodeInput => {
  const input = task.input as Partial<CodeInput> & { text?: unknown };
  if (input && typeof input === "object") {
    const question = task.text || (typeof input.question === "string" ? input.question : "");
    return {
      question,
      ...(typeof input.diff === "string" ? { diff: input.diff } : {}),
      ...(input.file && typeof input.file.content === "string" ? { file: input.file } : {}),
    };
  }
  if (DIFF.test(task.text)) {
    const start = task.text.search(DIFF);
    return { question: task.text.slice(0, start).trim(), diff: task.text.slice(start) };
  }
  return { question: task.text };
};

const numbered = (content: string) =>
  content
    .split("\n")
    .map((line, index) => `${String(index + 1).padStart(4)}| ${line}`)
    .join("\n");

const SYSTEM =
  "You are a senior engineer. Be precise and brief. Only change files or run commands through the tools; a person approves each one.";

/** Rounds of proposals one task may make (each round: the model proposes, people decide, it is told). */
const MAX_ROUNDS = 3;

/** What the run keeps between steps: plain JSON, saved after every step. */
interface CodeContext {
  readonly request: CodeInput;
  /** The model's view: the request, its tool calls and, after each round, the outcomes. */
  readonly conversation: readonly ChatMessage[];
  readonly reply: string;
  readonly findings: readonly Finding[];
  /** Proposed actions not yet decided, in order. */
  readonly pending: readonly ProposedAction[];
  /** The approval of `pending[0]`, once given. */
  readonly approval: Approval | undefined;
  readonly actions: readonly ActionRecord[];
  /** What the model is told after the round: one line per decided action. */
  readonly told: readonly string[];
  readonly rounds: number;
}

type Proposal = { conversation: readonly ChatMessage[]; reply: string; pending: readonly ProposedAction[] };

const recordOf = (action: ProposedAction, approval: Approval, outcome: string): ActionRecord => ({
  kind: action.kind === "write_file" ? "write" : "command",
  target: targetOf(action),
  approved: approval.approved,
  by: approval.by,
  outcome,
});

export const createCodeAgent = (options: CodeAgentOptions = {}) => {
  const review = taskStep<
    { text: string; findings: readonly Finding[] },
    { task: CodeInput; context: readonly ChatMessage[] }
  >(async ({ input, ctx }) => {
    const { task: request } = input;
    ctx.progress(request.file ? `reviewing ${request.file.path}` : "reviewing the diff");
    const subject = request.file
      ? `File ${request.file.path} (line numbers on the left):\n${numbered(request.file.content)}`
      : `Unified diff:\n${request.diff}`;
    const reviewed = await ctx.llm.chatStructured(
      [
        { role: "system", content: SYSTEM },
        ...input.context,
        {
          role: "user",
          content: `${request.question || "Review this."}\n\n${subject}\n\nAnswer JSON: a summary and findings (severity info|minor|major|critical, file, line in the new version, message, suggestion).`,
        },
      ],
      CodeReview,
    );
    const findings = [...reviewed.value.findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
    return { text: reviewed.value.summary, findings };
  });

  /** One model turn with tools: the team's run, writes and commands are only proposed. */
  const propose = taskStep<Proposal, { conversation: readonly ChatMessage[] }>(async ({ input, ctx }) => {
    if (!options.workspace && ctx.tools.length === 0) {
      const reply = await ctx.llm.chat(input.conversation);
      return { conversation: input.conversation, reply: reply.content, pending: [] };
    }
    const pending: ProposedAction[] = [];
    const own = options.workspace ? proposalTools(pending) : [];
    const run = await ctx.llm.runTools(
      input.conversation,
      [...own, ...ctx.tools.filter((tool) => !own.some((mine) => mine.name === tool.name))],
      { ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}) },
    );
    return { conversation: run.messages, reply: run.reply.content, pending };
  });

  const approve = taskStep<Approval, ProposedAction>(async ({ input, ctx }) => {
    ctx.progress(`asking to ${input.kind === "write_file" ? "write" : "run"} ${targetOf(input)}`);
    return ctx.askApproval(input);
  });

  const apply = taskStep<{ outcome: string; told: string }, ProposedAction>(({ input, signal }) =>
    applyAction(options.workspace!, input, signal),
  );

  const machine = setup({
    types: {} as { input: AgentMachineInput; context: CodeContext; output: CodeResult },
    actors: { review, propose, approve, apply },
    guards: {
      isReview: ({ context }) => context.request.diff !== undefined || context.request.file !== undefined,
      hasProposals: ({ context }) => context.pending.length > 0,
      isApproved: ({ context }) => context.approval?.approved === true,
      /** Another round of proposals fits the budget of the task. */
      withinBudget: ({ context }) => context.rounds < MAX_ROUNDS,
    },
    actions: {
      takeProposal: assign(({ event }) => {
        const proposal = (event as unknown as { output: Proposal }).output;
        return { ...proposal, told: [] };
      }),
      recordDenial: assign(({ context }) => {
        const action = context.pending[0]!;
        const approval = context.approval!;
        return {
          pending: context.pending.slice(1),
          approval: undefined,
          actions: [...context.actions, recordOf(action, approval, "denied")],
          told: [...context.told, `${targetOf(action)}: denied by ${approval.by}, not done`],
        };
      }),
      recordApplied: assign(({ context, event }) => {
        const action = context.pending[0]!;
        const done = (event as unknown as { output: { outcome: string; told: string } }).output;
        return {
          pending: context.pending.slice(1),
          approval: undefined,
          actions: [...context.actions, recordOf(action, context.approval!, done.outcome)],
          told: [...context.told, `${targetOf(action)}: ${done.told}`],
        };
      }),
      tellOutcomes: assign(({ context }) => ({
        rounds: context.rounds + 1,
        conversation: [
          ...context.conversation,
          { role: "user" as const, content: `What became of your proposals:\n${context.told.join("\n")}` },
        ],
      })),
    },
  }).createMachine({
    id: "code",
    context: ({ input }) => {
      const request = inputOf(input.task);
      return {
        request,
        conversation: [
          { role: "system", content: SYSTEM },
          ...taskContextMessages(input.task),
          { role: "user", content: request.question },
        ],
        reply: "",
        findings: [],
        pending: [],
        approval: undefined,
        actions: [],
        told: [],
        rounds: 0,
      };
    },
    initial: "understanding",
    states: {
      understanding: {
        always: [{ guard: "isReview", target: "reviewing" }, { target: "proposing" }],
      },
      reviewing: {
        invoke: {
          src: "review",
          input: ({ context }) => ({ task: context.request, context: context.conversation.slice(1, -1) }),
          onDone: {
            target: "done",
            actions: assign(({ event }) => ({ reply: event.output.text, findings: event.output.findings })),
          },
        },
      },
      proposing: {
        invoke: {
          src: "propose",
          input: ({ context }) => ({ conversation: context.conversation }),
          onDone: { target: "deciding", actions: "takeProposal" },
        },
      },
      deciding: {
        always: [{ guard: "hasProposals", target: "awaitingApproval" }, { target: "done" }],
      },
      awaitingApproval: {
        invoke: {
          src: "approve",
          input: ({ context }) => context.pending[0]!,
          onDone: { target: "approved", actions: assign({ approval: ({ event }) => event.output }) },
        },
      },
      approved: {
        always: [
          { guard: "isApproved", target: "applying" },
          { target: "next", actions: "recordDenial" },
        ],
      },
      applying: {
        invoke: {
          src: "apply",
          input: ({ context }) => context.pending[0]!,
          onDone: { target: "next", actions: "recordApplied" },
        },
      },
      next: {
        always: [
          { guard: "hasProposals", target: "awaitingApproval" },
          { guard: "withinBudget", target: "reporting", actions: "tellOutcomes" },
          { target: "done" },
        ],
      },
      /** The model is told what became of its proposals, and answers (or proposes again). */
      reporting: {
        invoke: {
          src: "propose",
          input: ({ context }) => ({ conversation: context.conversation }),
          onDone: { target: "deciding", actions: "takeProposal" },
        },
      },
      done: { type: "final" },
    },
    output: ({ context }) => ({
      kind: context.request.diff !== undefined || context.request.file !== undefined ? "review" : "answer",
      text: context.reply,
      findings: context.findings,
      actions: context.actions,
    }),
  });

  return defineAgent({
    name: "code",
    description:
      "Answers code questions and reviews a diff or file (findings with severity and line); writes and commands need approval.",
    capabilities: ["code", "review"],
    format: codeFormatters,
    model: "code",
    machine,
  });
};
