// Test support, never in the default team: an `approver` agent that asks for approval of the action
// named in its text ({"kind":"deploy","target":<text>}) and answers with the decision, so a test can
// drive the console's /approve and /deny through the real CLI. Added only when TROUPE_TEST_AGENTS
// names it.
import { defineAgent } from "@troupe/runtime";

export const approverAgent = defineAgent({
  name: "approver",
  description: "Test support: asks for approval of deploying its text, then says what was decided.",
  capabilities: [],
  async handle(task, ctx) {
    const target = task.text.trim();
    const approval = await ctx.askApproval({ kind: "deploy", target });
    return {
      text: approval.approved
        ? `deployed ${target} (approved by ${approval.by})`
        : `did not deploy ${target} (denied by ${approval.by})`,
    };
  },
});
