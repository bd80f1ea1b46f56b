// Test support, never in the default team: a `slow` agent that works for the number of milliseconds
// given in its text ("/ask slow 2000"), heartbeating as it goes, so a test can kill the host while a
// task is surely in flight. The tests' executable adds it only when TROUPE_TEST_AGENTS names it.
import { defineAgent, TroupeError } from "@troupe/runtime";

const MAX_MS = 600_000;
const HEARTBEAT_MS = 1_000;

export const slowAgent = defineAgent({
  name: "slow",
  description: "Test support: works for the milliseconds given in its text, then answers.",
  capabilities: [],
  async handle(task, ctx) {
    const ms = Number(task.text.trim());
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_MS)
      throw new TroupeError("InvalidTask", `slow needs a whole number of milliseconds up to ${MAX_MS}`);
    // The team's clock, as agents are told to: a replay runs this wait on its simulated clock.
    const startedAt = ctx.now();
    for (let left = ms; left > 0; left = ms - (ctx.now() - startedAt)) {
      ctx.heartbeat();
      await ctx.sleep(Math.min(HEARTBEAT_MS, left));
    }
    return { text: `slept ${ms}ms` };
  },
});
