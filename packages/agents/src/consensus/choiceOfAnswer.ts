// Which choice an agent's free answer is a vote for: an answer that is one of the choices (ignoring
// case, quotes and end punctuation) is that choice; otherwise the consensus agent's own model reads
// it, with a schema that only allows the choices or "none" (checked with Effect Schema and retried
// once by chatStructured). A model that cannot decide counts as no vote, never as a failed consensus.
import type { Llm } from "@troupe/runtime/llm";
import { Schema } from "effect";

export interface ChoiceOfAnswer {
  /** The choice voted for, or null when the answer is none of them. */
  readonly choice: string | null;
  readonly by: "exact" | "model";
  /** Why the model could not say (it failed or answered out of schema twice). */
  readonly problem?: string;
}

const NONE = "none of the choices";

const normalise = (text: string) =>
  text
    .trim()
    .toLowerCase()
    .replace(/^["'`*_]+|["'`*_.!]+$/g, "")
    .trim();

/** The choice an answer names exactly, if any. */
export const exactChoice = (answer: string, choices: readonly string[]): string | undefined => {
  const said = normalise(answer);
  return choices.find((choice) => normalise(choice) === said);
};

const prompt = (question: string, choices: readonly string[], answer: string) => [
  {
    role: "system" as const,
    content: [
      "Someone was asked a question and answered freely. Say which of the choices the answer votes for.",
      `Question: ${question}`,
      `Choices: ${choices.map((choice) => JSON.stringify(choice)).join(", ")}`,
      `Answer JSON {"choice": <one of the choices exactly, or "${NONE}" if the answer picks none of them>}.`,
    ].join("\n"),
  },
  { role: "user" as const, content: answer },
];

export const choiceOfAnswer = async (
  answer: string,
  question: string,
  choices: readonly string[],
  llm: () => Llm,
  signal: AbortSignal,
): Promise<ChoiceOfAnswer> => {
  const exact = exactChoice(answer, choices);
  if (exact !== undefined) return { choice: exact, by: "exact" };
  const schema = Schema.Struct({ choice: Schema.Literals([...choices, NONE]) });
  try {
    const reply = await llm().chatStructured(prompt(question, choices, answer), schema, {
      signal,
      temperature: 0,
    });
    return { choice: reply.value.choice === NONE ? null : reply.value.choice, by: "model" };
  } catch (error) {
    if (signal.aborted) throw error;
    return { choice: null, by: "model", problem: error instanceof Error ? error.message : String(error) };
  }
};
