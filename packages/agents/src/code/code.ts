// The code agent: answers code questions and reviews a diff or a file given to it. A review is
// structured (findings with severity, file and line) and schema-checked; a question is answered with
// the model, which may use the team's tools for it (`ctx.tools`: the MCP tools on its allow-list) and
// the write/command tools when the agent has a workspace — and every write or command waits for a
// person's approval of that exact action (see CodeActions.ts). The task's working memory (notes) and
// the conversation it continues come before the request.
import { defineAgent, type Task } from "@troupe/runtime";
import { taskContextMessages } from "@troupe/runtime/llm";
import { Schema } from "effect";
import { defineFormatters, shorten } from "../format/Formatters.ts";
import { type ActionRecord, approvedActionTools, type CodeActions } from "./CodeActions.ts";

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

export const createCodeAgent = (options: CodeAgentOptions = {}) =>
  defineAgent({
    name: "code",
    description:
      "Answers code questions and reviews a diff or file (findings with severity and line); writes and commands need approval.",
    capabilities: ["code", "review"],
    format: codeFormatters,
    model: "code",
    async handle(task, ctx): Promise<CodeResult> {
      const input = inputOf(task);
      if (input.diff !== undefined || input.file !== undefined) {
        ctx.progress(input.file ? `reviewing ${input.file.path}` : "reviewing the diff");
        const subject = input.file
          ? `File ${input.file.path} (line numbers on the left):\n${numbered(input.file.content)}`
          : `Unified diff:\n${input.diff}`;
        const review = await ctx.llm.chatStructured(
          [
            { role: "system", content: SYSTEM },
            ...taskContextMessages(task),
            {
              role: "user",
              content: `${input.question || "Review this."}\n\n${subject}\n\nAnswer JSON: a summary and findings (severity info|minor|major|critical, file, line in the new version, message, suggestion).`,
            },
          ],
          CodeReview,
        );
        const findings = [...review.value.findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
        return { kind: "review", text: review.value.summary, findings, actions: [] };
      }
      const messages = [
        { role: "system" as const, content: SYSTEM },
        ...taskContextMessages(task),
        { role: "user" as const, content: input.question },
      ];
      if (!options.workspace && ctx.tools.length === 0) {
        const reply = await ctx.llm.chat(messages);
        return { kind: "answer", text: reply.content, findings: [], actions: [] };
      }
      const actions: ActionRecord[] = [];
      const own = options.workspace ? approvedActionTools(ctx, options.workspace, actions) : [];
      const run = await ctx.llm.runTools(
        messages,
        [...own, ...ctx.tools.filter((tool) => !own.some((mine) => mine.name === tool.name))],
        { ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}) },
      );
      return { kind: "answer", text: run.reply.content, findings: [], actions };
    },
  });
