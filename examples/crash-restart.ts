// Crash and restart: a parser agent that crashes on bad input. The supervisor restarts it after
// every crash (one_for_one, at most 10 restarts a minute), and its circuit breaker opens after 3
// failures in a row: while open, tasks for it fail fast with BreakerOpen instead of queueing. After
// 2 s the breaker is half-open and lets one probe through; the probe succeeds and closes it.
// Run it with `npm run example:crash-restart` (about 2.5 s).
import { createSupervisor, defineAgent, EventBus, isTroupeError } from "@troupe/runtime";

const parser = defineAgent({
  name: "parser",
  breaker: { maxFailures: 3, resetAfter: "2s" },
  async handle(task) {
    if (task.text.includes("{{")) throw new Error(`unbalanced template in "${task.text}"`);
    return task.text.split(/\s+/).length;
  },
});

const bus = new EventBus();
const startedAt = Date.now();
const log = (line: string) => console.log(`${String(Date.now() - startedAt).padStart(5)} ms  ${line}`);

// The bus tells what the supervisor does, as it happens.
bus.on("agent.restarted", (event) =>
  log(`↻ agent.restarted  ${event.agent} is now incarnation ${event.incarnation} (${event.strategy})`),
);
bus.on("breaker.changed", (event) =>
  log(`⚡ breaker.changed  ${event.agent}: ${event.from} → ${event.to} after ${event.failures} failure(s)`),
);

const team = createSupervisor({
  agents: [parser],
  bus,
  restart: { strategy: "one_for_one", intensity: 10, period: "1m" },
});

/** Submit one input to the parser and say how it went. */
const parse = async (text: string) => {
  try {
    log(`✔ "${text}" → ${await team.ask(parser, text).result} words`);
  } catch (error) {
    log(`✘ "${text}" → ${isTroupeError(error) ? `${error._tag}: ${error.reason}` : String(error)}`);
  }
};

await parse("hello actor world");
for (const bad of ["{{ oops", "{{ still bad", "{{ worse"]) await parse(bad);

// The breaker is open: this fails at once, without reaching the agent.
await parse("a perfectly good line");

// Wait (on the bus, not on a guess) for the breaker to go half-open, then send the probe.
await bus.waitFor(
  (event) => event.type === "breaker.changed" && event.to === "half_open",
  AbortSignal.timeout(5_000),
);
await parse("the probe gets through");
await parse("and traffic flows again");

const [status] = team.status().agents;
log(`status: ${status!.name} breaker ${status!.breaker}, ${status!.restarts} restarts`);
await team.drain({ deadline: "1s" });
