// `defineTool`: declare a tool an agent's model may call, with an Effect Schema for its arguments.
// The name and the schema are checked here, once, so a bad tool fails where it is written rather
// than in the middle of a model's run.
import { TroupeError } from "../errors/TroupeError.ts";
import { jsonSchemaOf } from "./jsonSchemaOf.ts";
import type { JsonSchema, LlmTool, ToolSpec } from "./Llm.ts";

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export const defineTool = <A>(tool: LlmTool<A>): LlmTool<A> => {
  if (typeof tool.name !== "string" || !NAME.test(tool.name)) {
    throw new TroupeError(
      "InvalidAgent",
      `tool name must be a letter then letters, digits, "-" or "_" (at most 64), got ${JSON.stringify(tool.name)}`,
    );
  }
  if (tool.parameters.ast._tag !== "Objects") {
    throw new TroupeError(
      "InvalidAgent",
      `tool "${tool.name}": parameters must be a Schema.Struct (the model passes named arguments)`,
    );
  }
  return Object.freeze({ ...tool });
};

/** The JSON Schema of a tool's arguments: always an object (an empty Struct's own would not say so). */
const parametersOf = (tool: LlmTool<unknown>): JsonSchema => {
  if (tool.jsonSchema) return tool.jsonSchema;
  const json = jsonSchemaOf(tool.parameters);
  return json.type === "object" ? json : { type: "object", properties: {} };
};

/** What the model is told about a tool. */
export const toolSpecOf = (tool: LlmTool<unknown>): ToolSpec => ({
  name: tool.name,
  description: tool.description,
  parameters: parametersOf(tool),
});
