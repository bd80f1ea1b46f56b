// What the code agent may do to the world: write a file, run a command. A port, so tests and hosts
// choose (a sandbox, a container, this box). The model only proposes actions (`proposalTools`); the
// agent's machine asks a person to approve each exact action (ctx.askApproval, bound to its hash) and
// only then applies it (`applyAction`). Nothing here runs through a shell: a command is a program and
// its arguments.
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { TroupeError } from "@troupe/runtime";
import { defineTool, type LlmTool } from "@troupe/runtime/llm";
import { Schema } from "effect";

export interface CommandOutcome {
  readonly exitCode: number;
  /** stdout and stderr, as the command wrote them (cut to the last 8 KiB). */
  readonly output: string;
}

export interface CodeActions {
  writeFile(path: string, content: string, signal: AbortSignal): Promise<void>;
  runCommand(command: string, args: readonly string[], signal: AbortSignal): Promise<CommandOutcome>;
}

/** One action the model asked for, and what became of it. */
export interface ActionRecord {
  readonly kind: "write" | "command";
  /** The path written, or the command line. */
  readonly target: string;
  readonly approved: boolean;
  readonly by: string | null;
  readonly outcome: string;
}

const MAX_OUTPUT = 8 * 1024;

/** Writes and commands inside `root` on this machine (paths outside it are refused). */
export const localCodeActions = (options: { root: string; timeoutMs?: number }): CodeActions => {
  const root = resolve(options.root);
  const inside = (path: string) => {
    const full = resolve(root, path);
    const rel = relative(root, full);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new TroupeError("InvalidCommand", `code agent: ${path} is outside the workspace ${root}`);
    }
    return full;
  };
  return {
    async writeFile(path, content) {
      const full = inside(path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    },
    runCommand: (command, args, signal) =>
      new Promise((done) => {
        execFile(
          command,
          [...args],
          { cwd: root, signal, timeout: options.timeoutMs ?? 60_000, maxBuffer: 4 * 1024 * 1024 },
          (error, stdout, stderr) => {
            const output = `${stdout}${stderr}`.slice(-MAX_OUTPUT);
            const code = (error as { code?: unknown } | null)?.code;
            done({
              exitCode: error ? (typeof code === "number" ? code : 1) : 0,
              output: output || String(error?.message ?? ""),
            });
          },
        );
      }),
  };
};

/** An action the model proposed: plain JSON, the exact thing a person approves. */
export type ProposedAction =
  | { readonly kind: "write_file"; readonly path: string; readonly content: string }
  | { readonly kind: "run_command"; readonly command: string; readonly args: readonly string[] };

/** The path written or the command line: how an action is named to people and to the model. */
export const targetOf = (action: ProposedAction): string =>
  action.kind === "write_file" ? action.path : [action.command, ...action.args].join(" ");

/**
 * The `write_file` and `run_command` tools of one model step: a call only adds the action to
 * `proposals` and tells the model it waits for a person; nothing is written or run here.
 */
export const proposalTools = (proposals: ProposedAction[]): LlmTool[] => {
  const propose = (action: ProposedAction) => {
    proposals.push(action);
    return `proposed as #${proposals.length}: ${targetOf(action)}. It runs only once a person approves it; you will be told the outcome.`;
  };
  return [
    defineTool({
      name: "write_file",
      description: "Propose writing a file in the workspace (a person must approve the exact content first).",
      parameters: Schema.Struct({ path: Schema.String, content: Schema.String }),
      run: ({ path, content }) => propose({ kind: "write_file", path, content }),
    }) as LlmTool,
    defineTool({
      name: "run_command",
      description:
        "Propose running a program with arguments in the workspace, without a shell (a person must approve the exact command first).",
      parameters: Schema.Struct({ command: Schema.String, args: Schema.Array(Schema.String) }),
      run: ({ command, args }) => propose({ kind: "run_command", command, args }),
    }) as LlmTool,
  ];
};

/** Apply an approved action: what happened, for the task's result and for the model. */
export const applyAction = async (
  runner: CodeActions,
  action: ProposedAction,
  signal: AbortSignal,
): Promise<{ outcome: string; told: string }> => {
  if (action.kind === "write_file") {
    await runner.writeFile(action.path, action.content, signal);
    return { outcome: "written", told: `wrote ${action.path} (${action.content.length} characters)` };
  }
  const ran = await runner.runCommand(action.command, action.args, signal);
  return { outcome: `exit ${ran.exitCode}`, told: `exit code ${ran.exitCode}\n${ran.output}` };
};
