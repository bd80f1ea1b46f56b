// What the code agent may do to the world: write a file, run a command. A port, so tests and hosts
// choose (a sandbox, a container, this box), and every action goes through `approvedActionTools`,
// which asks a person to approve the exact action (ctx.askApproval, bound to its hash) before it
// runs. Nothing here runs through a shell: a command is a program and its arguments.
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { type AgentContext, TroupeError } from "@troupe/runtime";
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

/**
 * The `write_file` and `run_command` tools for one task: each asks for approval of the exact action
 * first and runs only on a yes; a no is told to the model. `actions` collects what happened.
 */
export const approvedActionTools = (
  ctx: Pick<AgentContext, "askApproval" | "signal" | "progress">,
  runner: CodeActions,
  actions: ActionRecord[],
): LlmTool[] => [
  defineTool({
    name: "write_file",
    description: "Write a file in the workspace (a person must approve the exact content first).",
    parameters: Schema.Struct({ path: Schema.String, content: Schema.String }),
    async run({ path, content }, signal) {
      ctx.progress(`asking to write ${path}`);
      const approval = await ctx.askApproval({ kind: "write_file", path, content });
      if (!approval.approved) {
        actions.push({ kind: "write", target: path, approved: false, by: approval.by, outcome: "denied" });
        return `denied by ${approval.by}: ${path} was not written`;
      }
      await runner.writeFile(path, content, signal);
      actions.push({ kind: "write", target: path, approved: true, by: approval.by, outcome: "written" });
      return `wrote ${path} (${content.length} characters)`;
    },
  }) as LlmTool,
  defineTool({
    name: "run_command",
    description:
      "Run a program with arguments in the workspace, without a shell (a person must approve the exact command first).",
    parameters: Schema.Struct({ command: Schema.String, args: Schema.Array(Schema.String) }),
    async run({ command, args }, signal) {
      const line = [command, ...args].join(" ");
      ctx.progress(`asking to run ${line}`);
      const approval = await ctx.askApproval({ kind: "run_command", command, args });
      if (!approval.approved) {
        actions.push({ kind: "command", target: line, approved: false, by: approval.by, outcome: "denied" });
        return `denied by ${approval.by}: ${line} was not run`;
      }
      const outcome = await runner.runCommand(command, args, signal);
      actions.push({
        kind: "command",
        target: line,
        approved: true,
        by: approval.by,
        outcome: `exit ${outcome.exitCode}`,
      });
      return `exit code ${outcome.exitCode}\n${outcome.output}`;
    },
  }) as LlmTool,
];
