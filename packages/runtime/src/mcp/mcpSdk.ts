// The MCP SDK and Ajv, the optional peer dependencies of @troupe/runtime/mcp: loaded once here, so
// without one of them the entry fails with one line naming the package (importPeer). Types come
// from the packages themselves.
import type { Server as McpServer } from "@modelcontextprotocol/sdk/server/index.js";
import { importPeer } from "../internal/importPeer.ts";

const ENTRY = "@troupe/runtime/mcp";
const SDK = "@modelcontextprotocol/sdk";

const [client, stdioClient, httpClient, server, stdioServer, types, ajv] = await Promise.all([
  importPeer(ENTRY, SDK, () => import("@modelcontextprotocol/sdk/client/index.js")),
  importPeer(ENTRY, SDK, () => import("@modelcontextprotocol/sdk/client/stdio.js")),
  importPeer(ENTRY, SDK, () => import("@modelcontextprotocol/sdk/client/streamableHttp.js")),
  importPeer(ENTRY, SDK, () => import("@modelcontextprotocol/sdk/server/index.js")),
  importPeer(ENTRY, SDK, () => import("@modelcontextprotocol/sdk/server/stdio.js")),
  importPeer(ENTRY, SDK, () => import("@modelcontextprotocol/sdk/types.js")),
  importPeer(ENTRY, "ajv", () => import("ajv")),
]);

export const { Client } = client;
export const { StdioClientTransport } = stdioClient;
export const { StreamableHTTPClientTransport } = httpClient;
export const { Server } = server;
export type Server = McpServer;
export const { StdioServerTransport } = stdioServer;
export const { CallToolRequestSchema, ListToolsRequestSchema } = types;
export const { Ajv } = ajv;
