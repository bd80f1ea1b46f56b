// The `@agent` mention grammar, in one place: "@name" at the start of a request addresses it to that
// agent ("@research why?", "@code: fix it"). The address is routing, not content: surfaces route by
// it, and the team takes it off before the agent (its model, its memory) sees the text.
import type { Task } from "./Task.ts";

/** "@name" at the start, then whitespace, ":" or ","; an agent's name as `defineAgent` allows it. */
const LEADING = /^\s*@([a-z][a-z0-9_-]{0,31})(?:\s*[:,])?(?:\s+|$)/;

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
