// `npm run bench [-- <name>…]`: runs the named benchmarks (every one when none is named, but for
// `peers`, which installs LangGraph.js and Mastra first and runs only when named) in turn
// and prints one line per figure, a ratio against a raw baseline measured in the same run
// (`name: ratio (goal …)`); progress goes to stderr. `--help` lists the names and goals.
import { alertDelivery } from "./alert-delivery.ts";
import { discord429sAt100Tasks, discordRestPerTask } from "./discord-rest-per-task.ts";
import { fanOutWall } from "./fan-out-wall.ts";
import { idleAgentHeap } from "./idle-agent-heap.ts";
import { llmFirstToken } from "./llm-first-token.ts";
import type { Figure } from "./measure.ts";
import { mirrorLatency } from "./mirror-latency.ts";
import { mirrorThroughput } from "./mirror-throughput.ts";
import { orchestratorFanout } from "./orchestrator-fanout.ts";
import { outboxThroughput } from "./outbox-throughput.ts";
import { peersBenchmark } from "./peersBenchmark.ts";
import { queueScaling } from "./queue-scaling.ts";
import { queueThroughput } from "./queue-throughput.ts";
import { recorderOverhead } from "./recorder-overhead.ts";
import { replaySpeed } from "./replay-speed.ts";
import { routedThroughput } from "./routed-throughput.ts";
import { type BenchmarkEntry, selectBenchmarks } from "./select.ts";

const benchmarks: readonly BenchmarkEntry<() => Promise<Figure | Figure[]>>[] = [
  { name: "routed-throughput", goal: "≥ 0.5", run: routedThroughput },
  { name: "recorder-overhead", goal: "≥ 0.8", run: recorderOverhead },
  { name: "replay-speed", goal: "≥ 1", run: replaySpeed },
  { name: "fan-out-wall", goal: "≤ 1.1", run: fanOutWall },
  { name: "idle-agent-heap", goal: "≤ 1.5", run: idleAgentHeap },
  { name: "llm-first-token", goal: "≤ 1.05", run: llmFirstToken },
  { name: "orchestrator-fanout", goal: "≤ 1.1", run: orchestratorFanout },
  { name: "mirror-throughput", goal: "≥ 0.8", run: mirrorThroughput },
  { name: "mirror-latency", goal: "p99 added ≤ 1 ms", run: mirrorLatency },
  { name: "queue-throughput", goal: "≥ 0.5", run: queueThroughput },
  { name: "queue-scaling", goal: "≥ 1.6", run: queueScaling },
  { name: "discord-rest-per-task", goal: "≤ 4 calls", run: discordRestPerTask },
  { name: "discord-429s-100-tasks", goal: "0 429s", run: discord429sAt100Tasks },
  { name: "outbox-throughput", goal: "≥ 0.5", run: outboxThroughput },
  { name: "alert-delivery", goal: "p99 ≤ 50 ms", run: alertDelivery },
  {
    name: "peers",
    goal: "W1–W5 against LangGraph.js and Mastra (see docs/benchmarks.md)",
    run: peersBenchmark,
    onlyWhenNamed: true,
  },
];

const selection = selectBenchmarks(benchmarks, process.argv.slice(2));
if (selection.kind === "help") {
  console.log(selection.text);
  process.exit(0);
}
if (selection.kind === "unknown") {
  process.stderr.write(`${selection.message}\n`);
  process.exit(2);
}

const startedAt = performance.now();
const missed: string[] = [];
for (const { name, run } of selection.benchmarks) {
  process.stderr.write(`running ${name}…\n`);
  const results = await run();
  for (const result of Array.isArray(results) ? results : [results]) {
    const unit = "unit" in result ? ` ${result.unit}` : ""; // a difference or a count, not a ratio
    console.log(`${result.name}: ${result.ratio.toFixed(2)}${unit} (goal ${result.goal})`);
    if (!result.met) missed.push(result.name);
  }
}
process.stderr.write(
  `done in ${((performance.now() - startedAt) / 1_000).toFixed(1)} s; ${missed.length === 0 ? "every goal met" : `goal missed: ${missed.join(", ")}`}\n`,
);
