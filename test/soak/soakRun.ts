// One soak run of the real host (issue 14's proof), in four phases: start the world (soakWorld.ts),
// send the plan's tasks through the console and Discord while injecting its faults, let the work
// settle, then read back what the people and the stores would show, stop the hosts and judge it all
// (soakInvariants.ts). Progress goes out every ~10 s; the verdict's summary is the last line.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createRedisWorkQueue, RedisOutboxStore } from "@troupe/runtime/redis";
import { openSqliteOutboxStore, openSqliteWorkQueue } from "@troupe/runtime/sqlite";
import { Redis } from "ioredis";
import { soakTaskText } from "../../apps/host/src/testing/soakAgent.ts";
import { readAlertFiles, readLedger, readOutbox, readRecords } from "./soakCollect.ts";
import { injectFault } from "./soakFaults.ts";
import { judge, reportLines, type SoakVerdict, summaryLine } from "./soakInvariants.ts";
import {
  emptyObservations,
  type Observations,
  type RssSample,
  type Seen,
  type SoakTask,
} from "./soakObservations.ts";
import { describePlan, formatClock, makePlan, type PlannedTask, type SoakPlan } from "./soakPlan.ts";
import { probeHealth, queueBacklog } from "./soakProbes.ts";
import { NAMESPACE, type SoakWorld, startSoakWorld } from "./soakWorld.ts";

export interface SoakOptions {
  readonly minutes: number;
  readonly seed: number;
  /** Keep the run's folder (hosts' logs, ledger, stores, alert files) and say where. */
  readonly keep?: boolean;
  /** Where progress and the report go, line by line. */
  readonly out: (line: string) => void;
}

const PROGRESS_EVERY_MS = 10_000;
const HEALTH_EVERY_MS = 1_000;
const LOOK_EVERY_MS = 500;
/** After the traffic: how long the work may take to settle before what is left counts as stuck. */
const SETTLE_MS = 60_000;
/** Memory is compared from this far into the traffic (minute 2, or half-way in a shorter run). */
const RSS_FROM_MS = 120_000;
const STOP_DEADLINE_MS = 30_000;

export const runSoak = async (options: SoakOptions): Promise<{ verdict: SoakVerdict; exitCode: number }> => {
  const { out } = options;
  const plan = makePlan({ seed: options.seed, minutes: options.minutes });
  for (const line of describePlan(plan)) out(line);
  const dir = mkdtempSync(join(tmpdir(), "troupe-soak-"));
  const ledger = join(dir, "ledger.jsonl");
  writeFileSync(ledger, "");
  const tag = `soak${plan.seed.toString(36)}`;
  const observations = emptyObservations({
    leaseMs: plan.leaseMs,
    renewMs: plan.renewMs,
    trafficStart: Date.now(),
  });
  let world: SoakWorld | undefined;
  try {
    world = await startSoakWorld({ plan, dir, observations, tokenPattern: new RegExp(`${tag}-\\d+`), out });
    const pids = [...world.hosts.values()].map((host) => `${host.name} pid ${host.pid}`).join(", ");
    out(`soak: hosts up (${pids}); traffic for ${formatClock(plan.trafficMs)}`);
    observations.trafficStart = Date.now();
    const watch = startWatching(plan, world, observations, out);
    try {
      await sendTraffic(plan, world, observations, watch, { ledger, tag, out });
      await settle(world, observations, watch, out);
    } finally {
      watch.stop();
    }
    await readBack(world, observations, dir, out);
  } catch (error) {
    observations.harnessProblems.push(
      `the run stopped early: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    await world?.close();
  }
  const verdict = judge(observations);
  for (const line of reportLines(verdict, observations)) out(line);
  if (options.keep) out(`soak: the run's folder (hosts' logs, ledger, stores, alerts) is kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  out(summaryLine(verdict));
  return { verdict, exitCode: verdict.failed.length > 0 ? 1 : 0 };
};

/** Whether a person would take the task as over by now. */
const settledFor = (world: SoakWorld) => (task: SoakTask) =>
  task.surface === "discord" ? world.discordSide.settled(task) : task.terminals.length > 0;

interface Watch {
  /** Resident memory of each live host now. */
  rss(): RssSample["hosts"];
  faultDone(): void;
  stop(): void;
}

/** From the traffic's start until the work settled: look at Discord, probe /healthz, say how it goes. */
const startWatching = (
  plan: SoakPlan,
  world: SoakWorld,
  observations: Observations,
  out: (line: string) => void,
): Watch => {
  const { hosts, discordSide, model } = world;
  const settled = settledFor(world);
  let faultsDone = 0;
  const rss = () =>
    [...hosts.values()].flatMap((host) => {
      const mb = host.rssMb();
      return mb === undefined || host.pid === undefined ? [] : [{ host: host.name, pid: host.pid, mb }];
    });
  const progress = () => {
    const elapsed = Date.now() - observations.trafficStart;
    const open = observations.tasks.filter((task) => !settled(task)).length;
    const memory = Math.round(rss().reduce((sum, host) => sum + host.mb, 0));
    const states = [...hosts.values()].map((host) => `${host.name} ${host.state}`).join(", ");
    const when =
      elapsed <= plan.trafficMs
        ? `${formatClock(elapsed)}/${formatClock(plan.trafficMs)}`
        : `${formatClock(elapsed)} settling`;
    out(
      `soak ${when}: ${observations.tasks.length} tasks, ${observations.tasks.length - open} ended, ${open} open; faults ${faultsDone}/${plan.faults.length}; hosts ${states}; model ${model.phase}; rss ${memory} MB`,
    );
  };
  const probing = new Set<string>();
  const probe = () => {
    for (const host of hosts.values()) {
      if (probing.has(host.name)) continue;
      probing.add(host.name);
      void probeHealth(host, observations).finally(() => probing.delete(host.name));
    }
  };
  const timers = [
    setInterval(() => discordSide.look(Date.now()), LOOK_EVERY_MS),
    setInterval(probe, HEALTH_EVERY_MS),
    setInterval(progress, PROGRESS_EVERY_MS),
    setTimeout(
      () => {
        observations.rss.start = { at: Date.now(), hosts: rss() };
      },
      Math.min(RSS_FROM_MS, plan.trafficMs / 2),
    ),
  ];
  return {
    rss,
    faultDone: () => {
      faultsDone += 1;
    },
    stop: () => {
      for (const timer of timers) clearTimeout(timer);
    },
  };
};

/** The plan's tasks and faults, each at its time; then the faults still under way are awaited. */
const sendTraffic = async (
  plan: SoakPlan,
  world: SoakWorld,
  observations: Observations,
  watch: Watch,
  options: { readonly ledger: string; readonly tag: string; readonly out: (line: string) => void },
) => {
  const { out } = options;
  const { consoleSide, discordSide } = world;
  const c = world.hosts.get("c")!;
  const start = observations.trafficStart;
  let sent = 0;
  const send = (planned: Pick<PlannedTask, "surface" | "what">) => {
    sent += 1;
    const token = `${options.tag}-${sent}`;
    const text = soakTaskText(planned.what, token, options.ledger);
    const kind = text.split(" ")[0]!;
    const at = Date.now();
    if (planned.surface === "discord") discordSide.say(token, kind, text);
    else if (c.state === "up" || c.state === "stopped") {
      c.send(`/ask soak ${text}`);
      consoleSide.typed(token, kind, c.pid!, at);
    } else observations.unacknowledged.push({ token, at, why: `host c was ${c.state}` });
  };
  const targets = {
    ...world,
    observations,
    sendDiscordTask: () => send({ surface: "discord", what: { kind: "ok", ms: 100 } }),
    say: out,
  };
  const faults: Promise<void>[] = [];
  const schedule = [
    ...plan.tasks.map((task) => ({ at: task.at, run: () => send(task) })),
    ...plan.faults.map((fault) => ({
      at: fault.at,
      run: () =>
        faults.push(
          injectFault(fault, targets)
            .catch((error: unknown) => {
              observations.harnessProblems.push(
                `fault ${fault.kind} at ${formatClock(fault.at)} failed: ${String(error)}`,
              );
            })
            .finally(watch.faultDone),
        ),
    })),
  ].sort((one, other) => one.at - other.at);
  for (const item of schedule) {
    const wait = start + item.at - Date.now();
    if (wait > 0) await sleep(wait);
    item.run();
  }
  await sleep(Math.max(0, start + plan.trafficMs - Date.now()));
  observations.trafficEnd = Date.now();
  await Promise.all(faults);
  out(`soak: traffic stopped at ${formatClock(observations.trafficEnd - start)}; letting the work settle`);
};

/** Until every task looks over and no queue holds work (three checks in a row), or SETTLE_MS. */
const settle = async (
  world: SoakWorld,
  observations: Observations,
  watch: Watch,
  out: (line: string) => void,
) => {
  const { hosts, discordSide } = world;
  const settled = settledFor(world);
  const settleBy = Date.now() + SETTLE_MS;
  let quiet = 0;
  while (Date.now() < settleBy && quiet < 3) {
    await sleep(1_000);
    discordSide.look(Date.now());
    const [a, b, c] = await Promise.all([...hosts.values()].map(queueBacklog));
    const allOver = observations.tasks.every(settled);
    quiet = allOver && (a ?? b) === 0 && c === 0 ? quiet + 1 : 0;
  }
  watch.stop();
  discordSide.look(Date.now());
  observations.checkedAt = Date.now();
  await Promise.all([...hosts.values()].map((host) => probeHealth(host, observations)));
  observations.rss.end = { at: Date.now(), hosts: watch.rss() };
  discordSide.finish();
  const open = observations.tasks.filter((task) => !settled(task)).length;
  out(
    `soak: ${open === 0 ? "settled" : "stopped waiting"} after ${formatClock(observations.checkedAt - observations.trafficEnd)}; ${open} task(s) still open; reading the stores`,
  );
};

/** The stores' records, then (hosts stopped) the ledger, the embedded store, the outboxes and the alert files. */
const readBack = async (
  world: SoakWorld,
  observations: Observations,
  dir: string,
  out: (line: string) => void,
) => {
  const redisQueue = await createRedisWorkQueue({
    redis: world.redis.url,
    namespace: NAMESPACE,
    leaseMs: observations.leaseMs,
  });
  await readRecords(redisQueue, observations.tasks, "redis");
  await redisQueue.close();
  world.ending();
  const exits = await Promise.all(
    [...world.hosts.values()].map(
      async (host) => `${host.name} ${String(await host.stop(STOP_DEADLINE_MS))}`,
    ),
  );
  out(`soak: hosts stopped (exit codes: ${exits.join(", ")})`);
  observations.ledger = readLedger(join(dir, "ledger.jsonl"));
  adoptOrphans(observations, world.consoleSide.orphans, world.consoleSide.strayReplies);
  const embeddedQueue = openSqliteWorkQueue({ path: world.sqlitePath, leaseMs: observations.leaseMs });
  await readRecords(embeddedQueue, observations.tasks, "embedded");
  await embeddedQueue.close();
  const client = new Redis(world.redis.url);
  await readOutbox(new RedisOutboxStore({ redis: client, namespace: NAMESPACE }), "redis", observations);
  await client.quit();
  const embeddedOutbox = openSqliteOutboxStore({ path: world.sqlitePath });
  await readOutbox(embeddedOutbox, "embedded", observations);
  await embeddedOutbox.close();
  observations.alerts.push(
    ...readAlertFiles(join(dir, "alerts-redis"), "redis"),
    ...readAlertFiles(join(dir, "alerts-embedded"), "embedded"),
  );
};

/**
 * Tasks the console showed only by id (a later life resumed them before showing their 📥): the
 * ledger names their token; a typed line never acknowledged becomes the task it really was.
 */
const adoptOrphans = (
  observations: Observations,
  orphans: ReadonlyMap<string, Pick<SoakTask, "terminals" | "replies">>,
  strayReplies: ReadonlyMap<string, readonly Seen[]>,
) => {
  for (const [taskId, seen] of orphans) {
    const token = observations.ledger.find((line) => line.taskId === taskId)?.token;
    const index = observations.unacknowledged.findIndex((line) => line.token === token);
    if (token === undefined || index < 0) continue;
    const [typed] = observations.unacknowledged.splice(index, 1);
    observations.tasks.push({
      token,
      surface: "console",
      cluster: "embedded",
      kind: "(resumed after a restart)",
      submittedAt: typed!.at,
      taskId,
      terminals: seen.terminals,
      replies: [...seen.replies, ...(strayReplies.get(token) ?? [])],
    });
  }
};
