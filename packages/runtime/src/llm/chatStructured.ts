// Structured output on any chat model: the schema goes to the model as a JSON Schema (`format`), the
// answer is parsed and decoded with the same schema, and an answer that does not match is sent back
// once with the problem named, so the model can correct itself. A second miss fails clearly.
import type { Schema } from "effect";
import { TroupeError } from "../errors/TroupeError.ts";
import { decodeJson, jsonSchemaOf } from "./jsonSchemaOf.ts";
import {
  addUsage,
  type ChatMessage,
  type ChatModel,
  type StructuredOptions,
  type StructuredReply,
} from "./Llm.ts";

/** How many answers the model gets: the first, and one more after being told what was wrong. */
const ATTEMPTS = 2;

// A model told to answer in JSON sometimes wraps it in a Markdown fence anyway.
const FENCE = /^```(?:json)?\s*\n?([\s\S]*?)\n?```$/;

const parse = (content: string): { ok: true; value: unknown } | { ok: false; problem: string } => {
  const text = content.trim();
  try {
    return { ok: true, value: JSON.parse(FENCE.exec(text)?.[1] ?? text) };
  } catch {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    return { ok: false, problem: `the answer is not JSON: ${JSON.stringify(shown)}` };
  }
};

export const chatStructured = async <T>(
  model: ChatModel,
  messages: readonly ChatMessage[],
  schema: Schema.ConstraintDecoder<T>,
  options: StructuredOptions = {},
): Promise<StructuredReply<T>> => {
  const format = jsonSchemaOf(schema);
  let conversation = messages;
  let usage = undefined as StructuredReply<T>["usage"] | undefined;
  let problem = "";
  let content = "";
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    const reply = await model.chat(conversation, { ...options, format });
    usage = usage ? addUsage(usage, reply.usage) : reply.usage;
    content = reply.content;
    const parsed = parse(reply.content);
    const decoded = parsed.ok ? decodeJson(schema, parsed.value) : parsed;
    if (decoded.ok) return { ...reply, usage, value: decoded.value };
    problem = decoded.problem;
    conversation = [
      ...conversation,
      { role: "assistant", content: reply.content },
      {
        role: "user",
        content: `That answer does not match the required JSON schema: ${problem}. Answer again with only the JSON, following the schema exactly.`,
      },
    ];
  }
  throw new TroupeError(
    "ModelBadResponse",
    `model "${model.model}" answered ${ATTEMPTS} times with JSON that does not match the schema (${problem}); try a stronger model for this role or a simpler schema`,
    { data: { model: model.model, role: model.role, problem, content } },
  );
};
