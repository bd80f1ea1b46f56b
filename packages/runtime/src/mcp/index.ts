// @troupe/runtime/mcp: tools over MCP. The client side turns configured MCP servers' tools into
// LlmTools with per-agent allow-lists; `createTroupeMcpServer` serves the team itself (ask_human,
// dispatch) to external agents.

export { elicitationGateway } from "./elicitationGateway.ts";
export { type JsonSchemaCheck, jsonSchemaCheck } from "./jsonSchemaCheck.ts";
export { isAllowed, type McpConfig, type McpServerConfig, parseMcpConfig } from "./McpConfig.ts";
export { type ConnectMcpOptions, connectMcp, type McpServerStatus, type McpToolbox } from "./McpToolbox.ts";
export { type McpCallResult, type McpToolInfo, mcpToolName, resultText, toLlmTool } from "./mcpTool.ts";
export {
  createTroupeMcpServer,
  serveMcpOnStdio,
  type TroupeMcpServerOptions,
  troupeMcpTools,
} from "./TroupeMcpServer.ts";
