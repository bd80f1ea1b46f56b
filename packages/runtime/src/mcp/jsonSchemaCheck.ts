// Checks a value against a JSON Schema given by someone else (an MCP tool's `inputSchema`): strict on
// `required`, `type`, `enum` and the rest of the vocabulary (Ajv), so a model's arguments are checked
// before the tool is called, and a problem comes back as one line naming the field.
import type { Ajv as AjvInstance } from "ajv";
import { TroupeError } from "../errors/TroupeError.ts";
import { Ajv } from "./mcpSdk.ts";

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

export type JsonSchemaCheck = (value: unknown) => string | undefined;

/** Compile a schema once; the check returns undefined when the value matches, else the problem. */
export const jsonSchemaCheck = (schema: Record<string, unknown>, what: string): JsonSchemaCheck => {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  let validate: ReturnType<AjvInstance["compile"]>;
  try {
    validate = ajv.compile(rest);
  } catch (error) {
    throw new TroupeError(
      "InvalidMcpConfig",
      `${what} has a JSON Schema that cannot be used: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return (value) => {
    if (validate(value)) return undefined;
    return (validate.errors ?? [])
      .map((error) => {
        const at = error.instancePath === "" ? "" : ` at ${error.instancePath}`;
        const extra =
          error.keyword === "additionalProperties"
            ? ` (${String((error.params as { additionalProperty?: unknown }).additionalProperty)})`
            : "";
        return `${error.message ?? error.keyword}${extra}${at}`;
      })
      .join("; ");
  };
};
