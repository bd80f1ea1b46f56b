// The echo agent: answers with the text it was given. No model, no tools: the team's fallback in
// local mode and the smallest agent that proves routing, status and metrics work end to end.
import { defineAgent } from "@troupe/runtime";

export interface EchoOutput {
  readonly text: string;
}

const LEADING_MENTION = /^\s*@echo(?=\s|$)\s*/;

/** The text of a task without a leading `@echo` mention. */
export const echoText = (text: string): string => text.replace(LEADING_MENTION, "");

export const echo = defineAgent({
  name: "echo",
  description: "Repeats the text it is given, without a leading @echo.",
  capabilities: ["echo"],
  handle: (task): EchoOutput => ({ text: echoText(task.text) }),
});
