// What `troupe` does with its arguments: print help or the version, or run a command, and say which
// exit code the process should end with. Usage errors are one line plus a hint, exit code 2.
import type { Readable, Writable } from "node:stream";
import { type AnyAgentDefinition, isTroupeError } from "@troupe/runtime";
import { resolveHostConfig } from "../config/hostConfig.ts";
import { registerCommands } from "../discord/registerCommands.ts";
import { runInit } from "../init/runInit.ts";
import { inspectCommand } from "../inspect/inspectCommand.ts";
import { runKakao } from "../kakao/runKakao.ts";
import { runMcp } from "../mcp/runMcp.ts";
import { modelsUsage } from "../models/modelsUsage.ts";
import { runModels } from "../models/runModels.ts";
import { replayCommand } from "../replay/replayCommand.ts";
import { runStart } from "../start/runStart.ts";
import { hostVersion } from "./hostVersion.ts";
import { parseCommandLine } from "./parseCommandLine.ts";
import { mainUsage, startUsage, usageHint } from "./usage.ts";

export interface MainIo {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: Writable & { readonly isTTY?: boolean };
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
}

/** What a program running troupe as a library adds to the team of `troupe start`. */
export interface HostAgents {
  /** Agents added after the default ones (echo, system-monitor and those TROUPE_AGENTS names). */
  readonly agents?: readonly AnyAgentDefinition[];
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const main = async (
  args: readonly string[],
  io: MainIo,
  { agents }: HostAgents = {},
): Promise<number> => {
  try {
    // `troupe inspect <trace>` has options of its own: dispatched before start's parser.
    if (args[0] === "inspect") return await inspectCommand(args.slice(1), io, agents);
    // `troupe replay <trace>`: re-run recorded tasks offline and compare them with the recording.
    if (args[0] === "replay") return await replayCommand(args.slice(1), io, agents);
    // `troupe kakao login`: the first KakaoTalk authorisation for the notifier.
    if (args[0] === "kakao") return await runKakao(args.slice(1), io);
    // `troupe mcp`: the team as an MCP server on stdio (stdout is the protocol's).
    if (args[0] === "mcp") return await runMcp(args.slice(1), io, agents);
    // `troupe init <folder>`: a new project with one agent and its test.
    if (args[0] === "init") return await runInit(args.slice(1), io);
    // `troupe models` has options of its own: it is dispatched before start's parser.
    if (args[0] === "models") return await runModels(args.slice(1), io);
    // `troupe register-commands` puts the slash commands on Discord.
    if (args[0] === "register-commands") return await registerCommands(args.slice(1), io);
    if (args[0] === "help" && args[1] === "models" && args.length === 2) {
      io.stdout.write(modelsUsage);
      return EXIT_OK;
    }
    const commandLine = parseCommandLine(args);
    switch (commandLine.command) {
      case "help":
        io.stdout.write(commandLine.topic === "start" ? startUsage : mainUsage);
        return EXIT_OK;
      case "version":
        io.stdout.write(`troupe ${hostVersion()}\n`);
        return EXIT_OK;
      case "start":
        return await runStart(resolveHostConfig(commandLine.options, io.env), { ...io, agents });
    }
  } catch (error) {
    if (isTroupeError(error, "InvalidCommand")) {
      io.stderr.write(`troupe: ${error.reason}\n${usageHint}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`troupe: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
};
