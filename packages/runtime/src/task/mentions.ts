// The `@agent` mention grammar, in one place (agent names, routing, surfaces, the console): "@name" at the start of a request addresses it to that
// agent ("@research why?", "@code: fix it"). The address is routing, not content: surfaces route by
// it, and the team takes it off before the agent (its model, its memory) sees the text.
import type { Task } from "./Task.ts";

/** An agent's name, as `defineAgent` allows it: lower-case letters, digits, "-" or "_", at most 32. */
const NAME = "[a-z][a-z0-9_-]{0,31}";
export const AGENT_NAME = new RegExp(`^${NAME}$`);
/** "@name" at the start, then whitespace, ":" or ","; the end of a name is not followed by more name. */
const LEADING = new RegExp(`^\\s*@(${NAME})(?![a-z0-9_-])(?:\\s*[:,])?(?:\\s+|$)`);
/** "@name" anywhere, at the start or after white space, ended like a leading one (or by punctuation). */
const ANYWHERE = new RegExp(`(?:^|\\s)@(${NAME})(?![a-z0-9_-])`, "g");

export interface LeadingMention {
  /** The name addressed (not checked against any team). */
  readonly agent: string;
  /** The request without the address. */
  readonly rest: string;
}

/** The agent a request starts by addressing ("@research why?" → research, "why?"), if any. */
export const leadingMention = (text: string): LeadingMention | undefined => {
  const found = LEADING.exec(text);
  return found ? { agent: found[1]!, rest: text.slice(found[0].length) } : undefined;
};

/** The agents a text mentions, in order ("ask @research and @code." → research, code). */
export const mentionsIn = (text: string): string[] => [...text.matchAll(ANYWHERE)].map((found) => found[1]!);

/** The text without a leading mention of `agent`; other mentions, and mentions later on, stay. */
export const withoutMentionOf = (text: string, agent: string): string => {
  const found = leadingMention(text);
  return found?.agent === agent ? found.rest : text;
};

/** The task as `agent` receives it: the text (and a text input) without its leading `@agent`. */
export const addressedTo = (task: Task, agent: string): Task => {
  const text = withoutMentionOf(task.text, agent);
  if (text === task.text) return task;
  return { ...task, text, input: task.input === task.text ? text : task.input };
};
