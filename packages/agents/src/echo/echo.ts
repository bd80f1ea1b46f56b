// The echo agent: answers with the text it was given. No model, no tools: the team's fallback in
// local mode and the smallest agent that proves routing, status and metrics work end to end. Reached
// by "@echo …", it gets the text without the mention (the team takes the address off). Its chart is
// one step: the text taken as it came, `repeated` (final), the answer.
import { type AgentMachineInput, defineAgent } from "@troupe/runtime";
import { setup } from "xstate";

export interface EchoOutput {
  readonly text: string;
}

const machine = setup({
  types: {} as { input: AgentMachineInput; context: EchoOutput; output: EchoOutput },
}).createMachine({
  id: "echo",
  context: ({ input }) => ({ text: input.task.text }),
  initial: "repeated",
  states: { repeated: { type: "final" } },
  output: ({ context }) => ({ text: context.text }),
});

export const echo = defineAgent({
  name: "echo",
  description: "Repeats the text it is given.",
  capabilities: ["echo"],
  machine,
});
