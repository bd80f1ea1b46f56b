// How an agent's result reads to people, declared on the agent (`defineAgent({ format })`) and typed
// by its output: chat markdown (Discord), plain text (the console, logs) and one short line for a
// notification. Every surface asks `formatOutputOf` for the form it shows, so a renamed or new agent
// keeps its formatters; a form an agent does not give falls back to its next best (markdown → text
// → a readable default), and an agent without formatters — or one whose formatter throws on an odd
// value — reads as its `text`/`summary`/`answer`, or as labelled lines and bullets, never raw JSON.

// Methods, not function properties: an agent's formatters fit wherever any agent's are taken.
export interface OutputFormat<T> {
  /** Chat markdown (Discord). */
  markdown?(value: T): string;
  /** Plain text, no markup (the console, logs). */
  text?(value: T): string;
  /** One short line for a notification (push, SMS-sized). */
  notification?(value: T): string;
}

export type OutputForm = keyof OutputFormat<unknown>;

/** A notification of an agent without its own notification form: its text's first line, this long at most. */
const NOTIFICATION_CHARS = 200;

const PROSE_KEYS = ["text", "summary", "answer"] as const;

const label = (key: string, markdown: boolean) => (markdown ? `**${key}**` : key);

const readableLines = (value: unknown, markdown: boolean, depth: number): string[] => {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return value === "" ? [] : [value];
  if (typeof value !== "object") return [String(value)];
  const indent = "  ".repeat(depth);
  if (Array.isArray(value))
    return value.flatMap((item) => {
      const [first = "", ...rest] = readableLines(item, markdown, depth + 1);
      return [`${indent}- ${first.trimStart()}`, ...rest];
    });
  return Object.entries(value).flatMap(([key, item]) => {
    if (item === undefined || item === null) return [];
    if (typeof item !== "object") return [`${indent}${label(key, markdown)}: ${String(item)}`];
    return [`${indent}${label(key, markdown)}:`, ...readableLines(item, markdown, depth + 1)];
  });
};

/** Any output, readably: a string as is, an object's `text`/`summary`/`answer`, else labelled lines. */
export const readableOutput = (output: unknown, form: OutputForm = "text"): string => {
  if (output && typeof output === "object" && !Array.isArray(output))
    for (const key of PROSE_KEYS) {
      const prose = (output as Record<string, unknown>)[key];
      if (typeof prose === "string") return prose;
    }
  const text = readableLines(output, form === "markdown", 0).join("\n");
  return form === "notification" ? firstLine(text) : text;
};

const firstLine = (text: string): string => {
  const line = (text.split("\n").find((candidate) => candidate.trim() !== "") ?? "").trim();
  return line.length > NOTIFICATION_CHARS ? `${line.slice(0, NOTIFICATION_CHARS - 1)}…` : line;
};

/** `output` in `form`, by the agent's own formatters when it has them (falling back as described above). */
export const formatOutputOf = (
  format: OutputFormat<never> | undefined,
  form: OutputForm,
  output: unknown,
): string => {
  const own = format as OutputFormat<unknown> | undefined;
  const attempt = (formatter: ((value: unknown) => string) | undefined) => {
    if (formatter === undefined) return undefined;
    try {
      return formatter.call(own, output);
    } catch {
      return undefined; // a value its formatter does not expect (an older shape): the default reads it
    }
  };
  switch (form) {
    case "markdown":
      return attempt(own?.markdown) ?? attempt(own?.text) ?? readableOutput(output, "markdown");
    case "text":
      return attempt(own?.text) ?? readableOutput(output, "text");
    case "notification":
      return attempt(own?.notification) ?? firstLine(formatOutputOf(format, "text", output));
  }
};

/**
 * A formatter by agent name for one form, as the surfaces take it: each agent's own formatters, the
 * readable default for an agent it does not know (another host's) or an empty name.
 */
export const outputFormatter =
  (
    agents: readonly { readonly name: string; readonly format?: OutputFormat<never> | undefined }[],
    form: OutputForm,
  ) =>
  (agent: string, output: unknown): string =>
    formatOutputOf(agents.find((candidate) => candidate.name === agent)?.format, form, output);
