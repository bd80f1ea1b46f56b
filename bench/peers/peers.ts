// `npm run bench -- peers` runs this in its own process (bench/peersBenchmark.ts starts it once the
// peers are installed): W1–W5 for Troupe, LangGraph.js and Mastra, rounds interleaved (the order
// of the systems turns each round), each figure Troupe's number against a peer's from the same
// rounds. Figures go to stdout as JSON lines for the parent to print; progress goes to stderr.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Figure, figure, median, percentile, progress, settledHeap, timeMs } from "../measure.ts";
import { crashScenario } from "./crashScenario.ts";
import { langgraph } from "./langgraph.ts";
import { mastra } from "./mastra.ts";
import { troupe } from "./troupe.ts";
import { BRANCH_MS, BRANCHES, STEPS, type SystemName, type Workloads } from "./workloads.ts";

const ROUNDS = 5;
const W1_TASKS = 2_000;
const W2_FAN_OUTS = 10;
const W3_RUNS = 300;
const W4_COUNT = 10_000;
const WARM_UP = 500;

const systems = [troupe, langgraph, mastra] as const;
const peers = [langgraph, mastra] as const;
const slug = (system: Workloads) => (system === mastra ? "mastra" : "langgraph");

/** `list` in round `round`'s order: turned by one each round so none always goes first. */
const inTurn = (round: number, list: readonly Workloads[] = systems) =>
  list.map((_, index) => list[(index + round) % list.length]!);

const perName = <T>(make: () => T) =>
  Object.fromEntries(systems.map((system) => [system.name, make()])) as Record<SystemName, T>;

const emit = (result: Figure & { unit?: string }) => process.stdout.write(`${JSON.stringify(result)}\n`);

const w1 = async () => {
  const rates = perName<number[]>(() => []);
  const runners = await Promise.all(systems.map((system) => system.noop()));
  for (const runner of runners) await runner.run(WARM_UP);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const system of inTurn(round)) {
      const runner = runners[systems.indexOf(system)]!;
      rates[system.name].push(W1_TASKS / ((await timeMs(() => runner.run(W1_TASKS))) / 1_000));
    }
    progress(
      `W1 round ${round + 1}/${ROUNDS}: ${systems.map((s) => `${s.name} ${Math.round(rates[s.name][round]!)}/s`).join(", ")}`,
    );
  }
  for (const runner of runners) await runner.stop();
  const ratio = (peer: Workloads) =>
    median(rates.Troupe.map((rate, round) => rate / rates[peer.name][round]!));
  emit(figure("peers-w1-noop-vs-mastra", ratio(mastra), { atLeast: 1.5 }));
  emit(figure("peers-w1-noop-vs-langgraph", ratio(langgraph), { atLeast: 1 }));
};

const w2 = async () => {
  const added = perName<number[]>(() => []);
  const runners = await Promise.all(systems.map((system) => system.fanOut()));
  const floor = () => Promise.all(Array.from({ length: BRANCHES }, () => sleep(BRANCH_MS)));
  for (const runner of runners) await runner.run();
  for (let round = 0; round < ROUNDS; round += 1) {
    const floors: number[] = [];
    const walls = perName<number[]>(() => []);
    for (let fanOut = 0; fanOut < W2_FAN_OUTS; fanOut += 1) {
      floors.push(await timeMs(floor));
      for (const system of inTurn(round + fanOut))
        walls[system.name].push(await timeMs(() => runners[systems.indexOf(system)]!.run()));
    }
    for (const system of systems) added[system.name].push(median(walls[system.name]) - median(floors));
    progress(
      `W2 round ${round + 1}/${ROUNDS}: Promise.all floor ${median(floors).toFixed(1)} ms; added ${systems.map((s) => `${s.name} ${added[s.name][round]!.toFixed(2)} ms`).join(", ")}`,
    );
  }
  for (const runner of runners) await runner.stop();
  for (const peer of peers)
    emit(
      figure(`peers-w2-fan-out-added-vs-${slug(peer)}`, median(added.Troupe) / median(added[peer.name]), {
        atMost: 1,
      }),
    );
};

/** W3 in memory, or on disk for the systems with an embedded SQLite store (files in a temporary folder). */
const w3 = async (onDisk: boolean) => {
  const taking = onDisk ? systems.filter((system) => system.onDisk) : [...systems];
  const label = onDisk ? "W3 on disk" : "W3";
  const folder = onDisk ? mkdtempSync(join(tmpdir(), "troupe-bench-w3-")) : undefined;
  try {
    const rates = perName<number[]>(() => []);
    const latencies = perName<number[]>(() => []);
    const runners = await Promise.all(
      taking.map((system) =>
        system.steps(folder === undefined ? undefined : join(folder, `${system.name.replace(/\W/g, "")}.db`)),
      ),
    );
    for (const [index, runner] of runners.entries())
      for (let run = 0; run < WARM_UP; run += 1) await runner.run(`warm-${index}-${run}`);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const system of inTurn(round, taking)) {
        const runner = runners[taking.indexOf(system)]!;
        const wall = await timeMs(async () => {
          for (let run = 0; run < W3_RUNS; run += 1)
            latencies[system.name].push(await timeMs(() => runner.run(`r${round}-${run}`)));
        });
        rates[system.name].push(W3_RUNS / (wall / 1_000));
      }
      progress(
        `${label} round ${round + 1}/${ROUNDS}: ${taking.map((s) => `${s.name} ${Math.round(rates[s.name][round]!)} runs/s`).join(", ")}`,
      );
    }
    for (const runner of runners) await runner.stop();
    for (const system of taking)
      progress(
        `${label} ${system.name}: ${STEPS}-step runs p50 ${percentile(latencies[system.name], 0.5).toFixed(2)} ms, p99 ${percentile(latencies[system.name], 0.99).toFixed(2)} ms`,
      );
    const p99 = (name: SystemName) => percentile(latencies[name], 0.99);
    const prefix = onDisk ? "peers-w3-disk" : "peers-w3";
    for (const peer of peers.filter((each) => taking.includes(each))) {
      const name = peer.name;
      const goal = peer === mastra ? 2 : 1;
      emit(
        figure(
          `${prefix}-runs-vs-${slug(peer)}`,
          median(rates.Troupe.map((rate, round) => rate / rates[name][round]!)),
          { atLeast: goal },
        ),
      );
      emit(figure(`${prefix}-p99-vs-${slug(peer)}`, p99("Troupe") / p99(name), { atMost: 1 }));
    }
  } finally {
    if (folder) rmSync(folder, { recursive: true, force: true });
  }
};

/**
 * Heap bytes per idle instance of `system`. A function of its own, so the instances are unreachable
 * once it returns (a variable of the caller's loop would keep them alive into the next system's).
 */
const idleBytes = async (system: Workloads): Promise<number> => {
  await system.idle(WARM_UP); // code and shared structures are not per-instance cost
  const before = await settledHeap();
  const instances = await system.idle(W4_COUNT);
  const after = await settledHeap();
  if (!instances) throw new Error(`${system.name}: no idle instances`);
  return (after - before) / W4_COUNT;
};

const w4 = async () => {
  const bytes = perName<number>(() => 0);
  for (const system of systems) bytes[system.name] = await idleBytes(system);
  progress(
    `W4 heap per idle instance at ${W4_COUNT}: ${systems.map((s) => `${s.name} ${Math.round(bytes[s.name])} B`).join(", ")}`,
  );
  for (const peer of peers)
    emit(figure(`peers-w4-idle-heap-vs-${slug(peer)}`, bytes.Troupe / bytes[peer.name], { atMost: 1 }));
};

const w5 = async () => {
  for (const [key, system] of [
    ["troupe", troupe] as const,
    ["langgraph", langgraph] as const,
    ["mastra", mastra] as const,
  ]) {
    const outcome = await crashScenario(key);
    progress(
      `W5 ${system.name}: resumed by itself ${outcome.resumedByItself ? "yes" : `no (by hand: ${outcome.finished ? "finished" : "did not finish"})`}, finished steps re-run ${outcome.finishedStepsReRun}`,
    );
    if (system === troupe)
      emit({
        name: "peers-w5-troupe-finished-steps-re-run",
        ratio: outcome.finishedStepsReRun,
        unit: "steps",
        goal: "0, resumed by itself",
        met: outcome.resumedByItself && outcome.finishedStepsReRun === 0,
      });
  }
};

for (const system of systems) progress(`${system.name} per run: ${system.note}`);
await w4();
await w1();
await w2();
await w3(false);
await w3(true);
await w5();
process.exit(0);
