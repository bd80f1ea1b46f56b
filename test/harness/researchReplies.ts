// Answers for the Ollama stand-in that let the research agent run through the real CLI: its plan
// (a JSON `steps` list) and its answer (a JSON `summary` and `sources`), told apart by the JSON Schema
// the agent sends as `format`. The summary repeats the question, so under the stand-in's hash
// embeddings the same question asked again recalls it exactly (score 1). What research was given as
// related past work is read back from its plan request with `relatedPastWork`.
import type { StandInReply, StandInRequest } from "./ollamaStandIn.ts";

interface Message {
  readonly role?: string;
  readonly content?: string;
}

const messagesOf = (request: StandInRequest): readonly Message[] =>
  Array.isArray(request.body?.messages) ? (request.body.messages as Message[]) : [];

/** The person's question: the first user message (the ones after it are the agent's own prompts). */
const questionOf = (request: StandInRequest): string =>
  messagesOf(request).find((message) => message.role === "user")?.content ?? "";

const propertiesOf = (request: StandInRequest): readonly string[] => {
  const format = request.body?.format as { properties?: Record<string, unknown> } | undefined;
  return Object.keys(format?.properties ?? {});
};

/** The stand-in's `defaultReply` for research's structured calls (anything else: "You said: …"). */
export const researchReply = (request: StandInRequest): StandInReply => {
  const properties = propertiesOf(request);
  if (properties.includes("steps"))
    return { content: JSON.stringify({ steps: ["answer from what I know"] }) };
  if (properties.includes("summary"))
    return { content: JSON.stringify({ summary: questionOf(request), sources: [] }) };
  return { content: `You said: ${messagesOf(request).at(-1)?.content ?? ""}` };
};

/** Whether a chat request is research's plan request. */
export const isPlanRequest = (request: StandInRequest): boolean =>
  request.path === "/api/chat" && propertiesOf(request).includes("steps");

/** The texts a plan request listed as related past work (recalled from semantic memory). */
export const relatedPastWork = (request: StandInRequest): readonly string[] => {
  const related = messagesOf(request).find((message) =>
    message.content?.startsWith("Related past work"),
  )?.content;
  return related
    ? related
        .split("\n")
        .slice(1)
        .map((line) => line.replace(/^- /, ""))
    : [];
};

/** The environment of a `troupe start` running research alone on the stand-in at `url`, on its qwen3:8b. */
export const researchOnStandIn = (url: string): Record<string, string | undefined> => ({
  TROUPE_AGENTS: "research",
  OLLAMA_HOST: url,
  MODEL_DEFAULT: "qwen3:8b",
  MODEL_RESEARCH: undefined,
  MODEL_EMBED: undefined,
});
