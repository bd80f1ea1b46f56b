// One shape for turning an agent's structured result into what people read: chat markdown, plain
// text (consoles, logs) and a one-line notification, declared on the agent with `format:` so every
// surface reads from the same value.
import type { OutputFormat } from "@troupe/runtime";

/** All three forms of the runtime's `OutputFormat`, as the shipped agents give them (`defineAgent({ format })`). */
export type Formatters<T> = Required<OutputFormat<T>>;

/** Declare an agent's formatters (typed by its result). */
export const defineFormatters = <T>(formatters: Formatters<T>): Formatters<T> => Object.freeze(formatters);

/** At most `max` characters, cut at a word with an ellipsis. */
export const shorten = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  if (flat[max - 1] === " ") return `${cut}…`; // the cut ends a word
  const space = cut.lastIndexOf(" ");
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
};

/** The readable text of any agent's output: its `text`, `summary` or `answer`, else JSON. */
export const textOf = (output: unknown): string => {
  if (typeof output === "string") return output;
  if (output && typeof output === "object") {
    for (const key of ["text", "summary", "answer"] as const) {
      const value = (output as Record<string, unknown>)[key];
      if (typeof value === "string") return value;
    }
  }
  try {
    return JSON.stringify(output) ?? String(output);
  } catch {
    return String(output);
  }
};
