// Test support, never in the default team: a `recaller` agent that answers with what it was given —
// the request, the conversation it continues and its notes, as JSON — so a test can see through the
// real CLI what a follow-up in a Discord thread carries. Added only when TROUPE_TEST_AGENTS names it.
import { defineAgent } from "@troupe/runtime";

export const recallerAgent = defineAgent({
  name: "recaller",
  description: "Test support: replies with its request, conversation and notes as JSON.",
  capabilities: [],
  handle: (task) => ({
    text: JSON.stringify({ text: task.text, conversation: task.conversation, notes: task.notes }),
  }),
});
