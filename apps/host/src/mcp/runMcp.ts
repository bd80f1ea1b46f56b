// `troupe mcp`: the team as an MCP server on stdio, for an external agent such as a coding assistant
// (`ask_human`, `dispatch`). stdout carries the protocol, so logs go to stderr as JSON lines and no
// console runs; the person asked is the MCP client's user (elicitation). The team is built from the
// same settings and by the same function as under `troupe start`. Ends when stdin closes.

import type { Readable, Writable } from "node:stream";
import { type AnyAgentDefinition, type HumanGateway, isTroupeError, jsonLogger } from "@troupe/runtime";
import { createTroupeMcpServer, elicitationGateway, serveMcpOnStdio } from "@troupe/runtime/mcp";
import { type HostConfig, resolveHostConfig } from "../config/hostConfig.ts";
import { openHostToolsMemory } from "../start/hostToolsMemory.ts";
import { teamFromConfig } from "../team/teamFromConfig.ts";

export interface McpIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
}

export const mcpUsage = `Usage: troupe mcp

Serve the Troupe team over MCP on stdin/stdout, for an external agent such as a coding assistant.
Tools: ask_human (a question for the person, asked through the MCP client) and dispatch (give the
team a task; its result comes back). Logs are JSON lines on stderr.
`;

export const runMcp = async (
  args: readonly string[],
  io: McpIo,
  agents: readonly AnyAgentDefinition[] = [],
): Promise<number> => {
  if (args.includes("--help") || args.includes("-h")) {
    io.stderr.write(mcpUsage);
    return 0;
  }
  if (args.length > 0) {
    io.stderr.write(`troupe: mcp takes no arguments, got "${args[0]}"\nRun "troupe mcp --help" for usage.\n`);
    return 2;
  }
  // The same settings as `troupe start` reads (TROUPE_AGENTS, TROUPE_MCP_CONFIG, memory…).
  let config: HostConfig;
  try {
    config = resolveHostConfig({}, io.env, process.cwd());
  } catch (error) {
    if (!isTroupeError(error, "InvalidCommand")) throw error;
    io.stderr.write(`troupe: ${error.reason}\n`);
    return 2;
  }
  const logger = jsonLogger({
    level: config.logLevel,
    base: { service: "troupe-mcp" },
    write: (line: string) => io.stderr.write(line),
  });
  const extras = await openHostToolsMemory(config, logger);
  // The gateway needs the server and the server the team: the team gets a gateway that forwards.
  let gateway: HumanGateway | undefined;
  const human: HumanGateway = {
    ask: (question, context) => gateway!.ask(question, context),
    approve: (request, context) => gateway!.approve!(request, context),
  };
  const team = teamFromConfig(config, {
    logger,
    human,
    tools: extras.tools,
    memory: extras.memory,
    extraAgents: agents,
  });
  const server = createTroupeMcpServer({ team, human });
  gateway = elicitationGateway(server);
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
  });
  await serveMcpOnStdio(server, io.stdin, io.stdout);
  io.stdin.once("end", () => void server.close());
  logger.log("info", "troupe mcp ready", { agents: team.status().agents.map((agent) => agent.name) });
  await closed;
  await team.drain({ deadline: 5_000 });
  await extras.close();
  logger.log("info", "troupe mcp stopped");
  return 0;
};
