// Fan-out: ask two reviewers the same question at once. With `join: "any"` the first good answer
// wins and the slower reviewer is cancelled (its AbortSignal fires, so it stops working); with
// `join: "all"` the team waits for both. Run it with `npm run example:fan-out`.
import { setTimeout as sleep } from "node:timers/promises";
import { createSupervisor, defineAgent, type FanOutResult } from "@troupe/runtime";

interface Review {
  readonly reviewer: string;
  readonly verdict: string;
}

/** A reviewer that takes `latencyMs` to read the change, and stops the moment it is cancelled. */
const reviewer = (name: string, latencyMs: number, verdict: string) =>
  defineAgent({
    name,
    capabilities: ["review"],
    async handle(task, ctx): Promise<Review> {
      ctx.progress(`reading "${task.text}"`);
      await sleep(latencyMs, undefined, { signal: ctx.signal });
      return { reviewer: name, verdict };
    },
  });

const fast = reviewer("fast-reviewer", 40, "looks fine, ship it");
const thorough = reviewer("thorough-reviewer", 150, "fine, but the retry loop has no backoff");

const team = createSupervisor({ agents: [fast, thorough] });
team.bus.on("task.cancelled", (event) => console.log(`  ✂ ${event.agent} cancelled: ${event.reason}`));

const show = (join: string, result: FanOutResult<Review>, startedAt: number) => {
  console.log(`join "${join}" settled in ${Math.round(performance.now() - startedAt)} ms`);
  for (const review of result.outputs) console.log(`  ✔ ${review.reviewer}: ${review.verdict}`);
  const cancelled = result.branches.filter((branch) => branch.status === "cancelled");
  console.log(`  cancelled branches: ${cancelled.map((branch) => branch.agent).join(", ") || "none"}\n`);
};

const change = "PR #42: retry failed webhooks";

console.log(`Two reviewers, one change (${change}).\n`);

let startedAt = performance.now();
show("any", await team.fanOut<Review>([fast, thorough], change, { join: "any" }), startedAt);

startedAt = performance.now();
show("all", await team.fanOut<Review>([fast, thorough], change, { join: "all", deadline: "5s" }), startedAt);

await team.drain({ deadline: "1s" });
