// An MCP server's tool as an `LlmTool`: the model sees the tool's own JSON Schema, the model's
// arguments are checked against that schema before the call goes out (a mismatch is refused and told
// to the model by runTools), and the result's text comes back (an `isError` result is a failed call).
import { Schema } from "effect";
import type { JsonSchema, LlmTool } from "../llm/Llm.ts";
import { jsonSchemaCheck } from "./jsonSchemaCheck.ts";

/** What `tools/list` says of one tool (the fields Troupe uses). */
export interface McpToolInfo {
  readonly name: string;
  readonly description?: string | undefined;
  readonly inputSchema: { readonly type: "object"; readonly [key: string]: unknown };
}

/** What `tools/call` answers (the fields Troupe uses). */
export interface McpCallResult {
  readonly content?: readonly {
    readonly type: string;
    readonly text?: string;
    readonly [key: string]: unknown;
  }[];
  readonly structuredContent?: unknown;
  readonly isError?: boolean;
}

export type McpCall = (
  name: string,
  args: Record<string, unknown>,
  signal: AbortSignal,
) => Promise<McpCallResult>;

/** The name the model calls a server's tool by: `<server>_<tool>`, letters, digits, `_` and `-` only. */
export const mcpToolName = (server: string, tool: string): string =>
  `${server}_${tool}`
    .replace(/[^A-Za-z0-9_-]/g, "_")
    .replace(/^[^A-Za-z]+/, "t")
    .slice(0, 64);

/** The text of a tool result, for the model. */
export const resultText = (result: McpCallResult): string => {
  const parts = (result.content ?? []).map((item) =>
    item.type === "text" && typeof item.text === "string" ? item.text : `[${item.type}]`,
  );
  if (parts.length === 0 && result.structuredContent !== undefined)
    return JSON.stringify(result.structuredContent);
  return parts.join("\n");
};

export const toLlmTool = (
  server: string,
  info: McpToolInfo,
  call: McpCall,
): LlmTool<Record<string, unknown>> => {
  const name = mcpToolName(server, info.name);
  const check = jsonSchemaCheck(info.inputSchema, `the tool "${info.name}" of MCP server "${server}"`);
  const parameters = Schema.Record(Schema.String, Schema.Unknown).check(
    Schema.makeFilter((value: Record<string, unknown>) => check(value) ?? true),
  );
  return Object.freeze({
    name,
    description: info.description ?? `${info.name} (MCP server ${server})`,
    parameters: parameters as Schema.ConstraintDecoder<Record<string, unknown>>,
    jsonSchema: info.inputSchema as JsonSchema,
    async run(args: Record<string, unknown>, signal: AbortSignal) {
      const result = await call(info.name, args, signal);
      const text = resultText(result);
      if (result.isError) throw new Error(text || `the MCP tool ${info.name} failed`);
      return text;
    },
  });
};
