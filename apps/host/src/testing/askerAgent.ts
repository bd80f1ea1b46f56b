// Test support, never in the default team: an `asker` agent that asks a person the question in its
// text and answers with what they said, so a test can drive a question through the real CLI. Added
// only when TROUPE_TEST_AGENTS names it.
import { defineAgent } from "@troupe/runtime";

export const askerAgent = defineAgent({
  name: "asker",
  description: "Test support: asks a person its text, then says what they answered.",
  capabilities: [],
  async handle(task, ctx) {
    const answer = await ctx.askHuman(task.text.trim());
    return { text: `answered: ${answer}` };
  },
});
