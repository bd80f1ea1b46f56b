// `npm run bench`: runs every benchmark in turn and prints one line per figure, a ratio against a
// raw baseline measured in the same run (`name: ratio (goal …)`); progress goes to stderr.
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
import { queueScaling } from "./queue-scaling.ts";
import { queueThroughput } from "./queue-throughput.ts";
import { recorderOverhead } from "./recorder-overhead.ts";
import { routedThroughput } from "./routed-throughput.ts";

const benchmarks: readonly (readonly [string, () => Promise<Figure>])[] = [
  ["routed-throughput", routedThroughput],
  ["recorder-overhead", recorderOverhead],
  ["fan-out-wall", fanOutWall],
  ["idle-agent-heap", idleAgentHeap],
  ["llm-first-token", llmFirstToken],
  ["orchestrator-fanout", orchestratorFanout],
  ["mirror-throughput", mirrorThroughput],
  ["mirror-latency", mirrorLatency],
  ["queue-throughput", queueThroughput],
  ["queue-scaling", queueScaling],
  ["discord-rest-per-task", discordRestPerTask],
  ["discord-429s-100-tasks", discord429sAt100Tasks],
  ["outbox-throughput", outboxThroughput],
  ["alert-delivery", alertDelivery],
];

const startedAt = performance.now();
const missed: string[] = [];
for (const [name, run] of benchmarks) {
  process.stderr.write(`running ${name}…\n`);
  const result = await run();
  const unit = "unit" in result ? ` ${result.unit}` : ""; // a difference (mirror-latency), not a ratio
  console.log(`${result.name}: ${result.ratio.toFixed(2)}${unit} (goal ${result.goal})`);
  if (!result.met) missed.push(result.name);
}
process.stderr.write(
  `done in ${((performance.now() - startedAt) / 1_000).toFixed(1)} s; ${missed.length === 0 ? "every goal met" : `goal missed: ${missed.join(", ")}`}\n`,
);
