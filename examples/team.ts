// The README's "team in 20 lines", runnable as `npm run example:team`; a test keeps the two equal.
import { createSupervisor, defineAgent, route } from "@troupe/runtime";

const summarizer = defineAgent({
  name: "summarizer",
  capabilities: ["summarize"],
  heartbeat: { deadline: "30s" }, // silent longer → hung: cancelled and reassigned
  breaker: { maxFailures: 3, resetAfter: "1m" },
  async handle(task, { progress }) {
    progress("reading"); // a real agent calls its model here, passing ctx.signal
    return { summary: task.text.slice(0, 80) };
  },
  format: { text: ({ summary }) => `Summary: ${summary}` }, // also markdown, notification
});
const echo = defineAgent({ name: "echo", handle: (task) => ({ text: task.text }) });
const team = createSupervisor({ agents: [summarizer, echo], routes: [route.mention()], fallback: "echo" });

const run = team.ask(summarizer, "the incident report …"); // typed: Run<{ summary: string }>
for await (const event of run.events) console.log(event.type); // task.queued, task.claimed, …
console.log(await run.result);
console.log(await team.fanOut(["summarizer", "echo"], "hello", { join: "any", deadline: "10s" }));
await team.drain();
