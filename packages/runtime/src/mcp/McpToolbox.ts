// The MCP client side: connect to the configured servers (stdio child processes or streamable HTTP),
// list their tools, and hand each agent the tools on its allow-list as `LlmTool`s. A server that
// cannot be reached fails the connection with `McpUnavailable` naming it; `close()` ends them all.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { TroupeError } from "../errors/TroupeError.ts";
import type { LlmTool } from "../llm/Llm.ts";
import type { Logger } from "../log/Logger.ts";
import { isAllowed, type McpConfig, type McpServerConfig } from "./McpConfig.ts";
import { Client, StdioClientTransport, StreamableHTTPClientTransport } from "./mcpSdk.ts";
import { type McpCallResult, type McpToolInfo, toLlmTool } from "./mcpTool.ts";

export interface McpToolbox {
  /** Every tool of every server, named `<server>_<tool>`. */
  readonly tools: readonly LlmTool[];
  /** The tools `agent` may use (its allow-list); none for an agent the configuration does not name. */
  toolsFor(agent: string): readonly LlmTool[];
  close(): Promise<void>;
}

export interface ConnectMcpOptions {
  readonly logger?: Logger;
  /** Limits connecting and listing (default: 30s per server). */
  readonly signal?: AbortSignal;
  /** Each call's deadline (default 2 minutes), besides the caller's signal. */
  readonly callTimeoutMs?: number;
}

const transportFor = (server: McpServerConfig): Transport =>
  server.transport === "stdio"
    ? new StdioClientTransport({
        command: server.command,
        args: [...server.args],
        ...(server.env ? { env: { ...(process.env as Record<string, string>), ...server.env } } : {}),
        ...(server.cwd ? { cwd: server.cwd } : {}),
        stderr: "inherit",
      })
    : new StreamableHTTPClientTransport(
        new URL(server.url),
        server.headers ? { requestInit: { headers: { ...server.headers } } } : undefined,
      );

const describe = (server: McpServerConfig) =>
  server.transport === "stdio" ? `${server.command} ${server.args.join(" ")}`.trim() : server.url;

const connectOne = async (server: McpServerConfig, options: ConnectMcpOptions) => {
  const client = new Client({ name: "troupe", version: "0.1.0" });
  const signal = options.signal ?? AbortSignal.timeout(30_000);
  try {
    await client.connect(transportFor(server), { signal });
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { signal });
      tools.push(...(page.tools as McpToolInfo[]));
      cursor = page.nextCursor;
    } while (cursor);
    return { client, tools };
  } catch (error) {
    await client.close().catch(() => {});
    throw new TroupeError(
      "McpUnavailable",
      `MCP server "${server.name}" (${describe(server)}) could not be reached or listed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, data: { server: server.name } },
    );
  }
};

/** Connect to every configured server and list its tools (all or nothing). */
export const connectMcp = async (config: McpConfig, options: ConnectMcpOptions = {}): Promise<McpToolbox> => {
  const settled = await Promise.allSettled(config.servers.map((server) => connectOne(server, options)));
  const connected = settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) {
    await Promise.allSettled(connected.map(({ client }) => client.close()));
    throw failed.reason;
  }
  const timeout = options.callTimeoutMs ?? 120_000;
  const tools = connected.flatMap(({ client, tools: infos }, index) => {
    const server = config.servers[index]!;
    const call = async (name: string, args: Record<string, unknown>, signal: AbortSignal) =>
      (await client.callTool({ name, arguments: args }, undefined, { signal, timeout })) as McpCallResult;
    return infos.map((info) => toLlmTool(server.name, info, call));
  });
  options.logger?.log("info", "MCP tools listed", {
    servers: config.servers.map((server) => server.name),
    tools: tools.map((tool) => tool.name),
  });
  return {
    tools,
    toolsFor: (agent) => tools.filter((tool) => isAllowed(config.allow[agent], tool.name)),
    async close() {
      await Promise.allSettled(connected.map(({ client }) => client.close()));
    },
  };
};
