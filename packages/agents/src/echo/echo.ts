// The echo agent: answers with the text it was given. No model, no tools: the team's fallback in
// local mode and the smallest agent that proves routing, status and metrics work end to end. Reached
// by "@echo …", it gets the text without the mention (the team takes the address off).
import { defineAgent } from "@troupe/runtime";

export interface EchoOutput {
  readonly text: string;
}

export const echo = defineAgent({
  name: "echo",
  description: "Repeats the text it is given.",
  capabilities: ["echo"],
  handle: (task): EchoOutput => ({ text: task.text }),
});
