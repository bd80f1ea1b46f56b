// Effect Schema ↔ what a model sees and says: the JSON Schema sent as Ollama's `format` or a tool's
// parameters, and the decoder that checks the model's JSON against the same schema. Both describe the
// schema's canonical JSON form, so what the JSON Schema allows (null for an optional field, say) is
// what the decoder accepts. Computed once per schema.
import { Result, Schema } from "effect";
import type { JsonSchema } from "./Llm.ts";

const schemas = new WeakMap<object, JsonSchema>();
const decoders = new WeakMap<object, (value: unknown) => Result.Result<unknown, Schema.SchemaError>>();

/** The JSON Schema (draft 2020-12, definitions under `$defs`) of a schema's JSON form. */
export const jsonSchemaOf = (schema: Schema.Constraint): JsonSchema => {
  const cached = schemas.get(schema);
  if (cached) return cached;
  const document = Schema.toJsonSchemaDocument(schema);
  const definitions = document.definitions ?? {};
  const json: JsonSchema =
    Object.keys(definitions).length === 0 ? document.schema : { ...document.schema, $defs: definitions };
  schemas.set(schema, json);
  return json;
};

/** Decode a JSON value with a schema: the value, or every problem in one line naming the fields. */
export const decodeJson = <T>(
  schema: Schema.ConstraintDecoder<T>,
  value: unknown,
): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string } => {
  let decode = decoders.get(schema);
  if (!decode) {
    decode = Schema.decodeUnknownResult(Schema.toCodecJson(schema) as Schema.ConstraintDecoder<unknown>, {
      errors: "all",
    });
    decoders.set(schema, decode);
  }
  const result = decode(value);
  return Result.isSuccess(result)
    ? { ok: true, value: result.success as T }
    : { ok: false, problem: oneLine(result.failure.message) };
};

/** A multi-line schema error as one line: `Expected string at ["query"]; Missing key at ["n"]`. */
export const oneLine = (text: string): string =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .reduce((out, line) => (out === "" ? line : `${out}${line.startsWith("at ") ? " " : "; "}${line}`), "");
