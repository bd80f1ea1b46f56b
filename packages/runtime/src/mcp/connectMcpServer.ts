// One MCP server's connection: start or reach it (a stdio child process with the parent's environment
// unless the configuration says otherwise, or streamable HTTP), list its tools as `LlmTool`s named
// `<server>_<tool>`, and hand back the client. A server that cannot be reached or listed fails with
// `McpUnavailable` naming it.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { TroupeError } from "../errors/TroupeError.ts";
import type { LlmTool } from "../llm/Llm.ts";
import type { McpServerConfig } from "./McpConfig.ts";
import { Client, StdioClientTransport, StreamableHTTPClientTransport } from "./mcpSdk.ts";
import { type McpCallResult, type McpToolInfo, toLlmTool } from "./mcpTool.ts";

export interface McpConnection {
  readonly client: InstanceType<typeof Client>;
  readonly tools: readonly LlmTool[];
}

/**
 * A stdio server runs with the parent's environment (PATH, proxy and CA settings) plus its own `env`;
 * with `inheritEnv: false`, the SDK's minimal environment plus its own `env`.
 */
const environmentOf = (server: Extract<McpServerConfig, { transport: "stdio" }>) =>
  server.inheritEnv
    ? { ...(process.env as Record<string, string>), ...server.env }
    : server.env
      ? { ...server.env }
      : undefined;

const transportFor = (server: McpServerConfig): Transport => {
  if (server.transport === "http")
    return new StreamableHTTPClientTransport(
      new URL(server.url),
      server.headers ? { requestInit: { headers: { ...server.headers } } } : undefined,
    );
  const env = environmentOf(server);
  return new StdioClientTransport({
    command: server.command,
    args: [...server.args],
    ...(env ? { env } : {}),
    ...(server.cwd ? { cwd: server.cwd } : {}),
    stderr: "inherit",
  });
};

/** How a server is shown in messages: its command line or its URL. */
export const describeMcpServer = (server: McpServerConfig): string =>
  server.transport === "stdio" ? `${server.command} ${server.args.join(" ")}`.trim() : server.url;

export const connectMcpServer = async (
  server: McpServerConfig,
  options: { readonly signal: AbortSignal; readonly callTimeoutMs: number },
): Promise<McpConnection> => {
  const { signal } = options;
  const client = new Client({ name: "troupe", version: "0.1.0" });
  try {
    await client.connect(transportFor(server), { signal });
    const infos: McpToolInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { signal });
      infos.push(...(page.tools as McpToolInfo[]));
      cursor = page.nextCursor;
    } while (cursor);
    // Whoever asked is gone (the toolbox closed meanwhile): nobody would close this client.
    signal.throwIfAborted();
    const call = async (name: string, args: Record<string, unknown>, callSignal: AbortSignal) =>
      (await client.callTool({ name, arguments: args }, undefined, {
        signal: callSignal,
        timeout: options.callTimeoutMs,
      })) as McpCallResult;
    return { client, tools: infos.map((info) => toLlmTool(server.name, info, call)) };
  } catch (error) {
    await client.close().catch(() => {});
    throw new TroupeError(
      "McpUnavailable",
      `MCP server "${server.name}" (${describeMcpServer(server)}) could not be reached or listed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, data: { server: server.name } },
    );
  }
};
