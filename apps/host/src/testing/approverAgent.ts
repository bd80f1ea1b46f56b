// Test support, never in the default team: an `approver` agent that asks for approval of the action
// named in its text ({"kind":"deploy","target":<text>}) and answers with the decision, so a test can
// drive the console's /approve and /deny, or ✅/❌ on Discord, through the real CLI. A text
// "<target> expires=<duration>" (e.g. "prod expires=1s") makes the approval expire that soon, so a
// test sees an expired approval refused without waiting ten minutes. Added only when
// TROUPE_TEST_AGENTS names it.
import { type Duration, defineAgent } from "@troupe/runtime";

const WITH_EXPIRY = /^(.*?)\s+expires=(\S+)$/;

export const approverAgent = defineAgent({
  name: "approver",
  description: "Test support: asks for approval of deploying its text, then says what was decided.",
  capabilities: [],
  async handle(task, ctx) {
    const text = task.text.trim();
    const [, target = text, expiresIn] = WITH_EXPIRY.exec(text) ?? [];
    const approval = await ctx.askApproval(
      { kind: "deploy", target },
      expiresIn === undefined ? {} : { expiresIn: expiresIn as Duration },
    );
    return {
      text: approval.approved
        ? `deployed ${target} (approved by ${approval.by})`
        : `did not deploy ${target} (denied by ${approval.by})`,
    };
  },
});
