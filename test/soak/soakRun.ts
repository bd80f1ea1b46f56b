// One soak run of the real host (issue 14's proof): a private persistent redis-server, the Discord
// and Ollama stand-ins, two `troupe start` hosts on that Redis (both on Discord, one holding the
// gateway) and one on the embedded store with its console. For the plan's length it sends tasks
// through the console and Discord and injects the plan's faults; then it lets the work settle, reads
// back what a person and the stores would show, stops the hosts, and judges it all
// (soakInvariants.ts). Progress goes out every ~10 s; the verdict's summary is the last line.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createRedisWorkQueue, RedisOutboxStore } from "@troupe/runtime/redis";
import { openSqliteOutboxStore, openSqliteWorkQueue } from "@troupe/runtime/sqlite";
import { Redis } from "ioredis";
import { soakTaskText } from "../../apps/host/src/testing/soakAgent.ts";
import { startDiscordStandIn } from "../harness/discordStandIn.ts";
import { startPrivateRedis } from "../harness/privateRedis.ts";
import { readAlertFiles, readLedger, readOutbox, readRecords } from "./soakCollect.ts";
import { createConsoleSide } from "./soakConsole.ts";
import { createDiscordSide, SOAK_CHANNEL } from "./soakDiscord.ts";
import { injectFault } from "./soakFaults.ts";
import { createSoakHost, type HostListener, type SoakHost } from "./soakHosts.ts";
import { judge, reportLines, type SoakVerdict, summaryLine } from "./soakInvariants.ts";
import { SOAK_MODEL, startSoakModel } from "./soakModel.ts";
import { emptyObservations, type SoakTask } from "./soakObservations.ts";
import { describePlan, formatClock, type HostName, makePlan, type PlannedTask } from "./soakPlan.ts";
import { probeHealth, queueBacklog, watchRedisEvents } from "./soakProbes.ts";

export interface SoakOptions {
  readonly minutes: number;
  readonly seed: number;
  /** Keep the run's folder (hosts' logs, ledger, stores, alert files) and say where. */
  readonly keep?: boolean;
  /** Where progress and the report go, line by line. */
  readonly out: (line: string) => void;
}

const NAMESPACE = "soak";
const PROGRESS_EVERY_MS = 10_000;
const HEALTH_EVERY_MS = 2_000;
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
  const tokenPattern = new RegExp(`${tag}-\\d+`);
  const observations = emptyObservations({
    leaseMs: plan.leaseMs,
    renewMs: plan.renewMs,
    trafficStart: Date.now(),
  });
  const cleanups: (() => Promise<unknown>)[] = [];
  let finishing = false;

  try {
    const redis = await startPrivateRedis({ persistent: true });
    cleanups.push(() => redis.stop());
    const discord = await startDiscordStandIn({ channels: [SOAK_CHANNEL] });
    cleanups.push(() => discord.close());
    const model = await startSoakModel();
    cleanups.push(() => model.close());
    const origins = new Map<string, HostName>();
    const events = watchRedisEvents({ url: redis.url, namespace: NAMESPACE, observations, origins });
    cleanups.push(() => events.close());

    const consoleSide = createConsoleSide(observations, tokenPattern);
    const discordSide = createDiscordSide(observations, discord, tokenPattern);
    const hosts = new Map<HostName, SoakHost>();
    const restartOnItsOwn = async (host: SoakHost) => {
      await sleep(1_000);
      if (finishing) return;
      await host
        .start()
        .catch((error: unknown) =>
          observations.harnessProblems.push(`host ${host.name} did not start again: ${String(error)}`),
        );
    };
    const listener: HostListener = {
      line(host, line, at) {
        if (host.name === "c" && host.pid !== undefined) consoleSide.printed(line, host.pid, at);
      },
      log(host, record, at) {
        if (record.msg === "event mirror: Redis pub/sub" && typeof record.origin === "string")
          origins.set(record.origin, host.name);
        discordSide.logged(record);
        if (record.msg === "notifier: alert refused")
          observations.alerts.push({
            cluster: host.cluster,
            alertId: String(record.alertId),
            how: "refused",
            at,
            detail: `refused by host ${host.name}: ${String(record.error)}`,
          });
        else if (record.level === "error" && /escalat/i.test(String(record.msg)))
          observations.stops.push({
            at,
            cluster: host.cluster,
            host: host.name,
            what: `log: ${String(record.msg)}`,
          });
      },
      exited(host, life) {
        const at = life.to ?? Date.now();
        if (host.name === "c") consoleSide.ended(life.pid, at);
        if (life.endedBySoak || finishing) return;
        out(
          `soak: host ${host.name} (pid ${life.pid}) exited on its own (${String(life.exit)}); starting it again`,
        );
        observations.stops.push({
          at,
          cluster: host.cluster,
          host: host.name,
          what: `host ${host.name} exited on its own (${String(life.exit)})`,
        });
        observations.faults.push({ kind: "host-exit", host: host.name, pid: life.pid, from: at, to: at });
        void restartOnItsOwn(host);
      },
    };
    const common = {
      TROUPE_TEST_AGENTS: "soak",
      OLLAMA_HOST: model.standIn.url,
      MODEL_SOAK: SOAK_MODEL,
      TROUPE_LEASE: `${plan.leaseMs / 1_000}s`,
      TROUPE_DRAIN_TIMEOUT: "5s",
      TROUPE_NAMESPACE: NAMESPACE,
      TROUPE_LOG_LEVEL: "info",
    };
    const onRedis = (name: "a" | "b") => ({
      ...common,
      ...discord.hostEnv(),
      DISCORD_CHANNELS: `${SOAK_CHANNEL}=soak`,
      REDIS_URL: redis.url,
      TROUPE_GATEWAY_LEASE: `${plan.gatewayLeaseMs / 1_000}s`,
      TROUPE_CONSUMER: `soak-${name}`,
      TROUPE_DATA_DIR: join(dir, name),
      TROUPE_NOTIFY_FILE_DIR: join(dir, "alerts-redis"),
    });
    const make = (name: HostName, env: Record<string, string>, readyLog?: string) => {
      mkdirSync(join(dir, name), { recursive: true });
      const host = createSoakHost({
        name,
        env,
        logDir: dir,
        listener,
        lives: observations.lives,
        ...(readyLog ? { readyLog } : {}),
      });
      hosts.set(name, host);
      return host;
    };
    const a = make("a", onRedis("a"), "discord surface started");
    const b = make("b", onRedis("b"));
    const c = make("c", {
      ...common,
      TROUPE_CONSUMER: "soak-c",
      TROUPE_DATA_DIR: join(dir, "c"),
      TROUPE_NOTIFY_FILE_DIR: join(dir, "alerts-embedded"),
    });
    cleanups.push(async () => {
      finishing = true;
      for (const host of hosts.values()) await host.kill();
    });
    // The first Redis host holds the gateway; then the others start.
    await a.start();
    await Promise.all([b.start(), c.start()]);
    out(
      `soak: hosts up (a pid ${a.pid}, b pid ${b.pid}, c pid ${c.pid}); traffic for ${formatClock(plan.trafficMs)}`,
    );

    // ── traffic and faults ──────────────────────────────────────────────
    observations.trafficStart = Date.now();
    const start = observations.trafficStart;
    let sent = 0;
    const send = (planned: Pick<PlannedTask, "surface" | "what">) => {
      sent += 1;
      const token = `${tag}-${sent}`;
      const text = soakTaskText(planned.what, token, ledger);
      const kind = text.split(" ")[0]!;
      const at = Date.now();
      if (planned.surface === "discord") {
        discordSide.say(token, kind, text);
        return;
      }
      if (c.state === "up" || c.state === "stopped") {
        c.send(`/ask soak ${text}`);
        consoleSide.typed(token, kind, c.pid!, at);
      } else observations.unacknowledged.push({ token, at, why: `host c was ${c.state}` });
    };
    const faults: Promise<void>[] = [];
    let faultsDone = 0;
    const targets = {
      hosts,
      redis,
      discord,
      model,
      observations,
      sendDiscordTask: () => send({ surface: "discord", what: { kind: "ok", ms: 100 } }),
      say: out,
    };

    const pending = (task: SoakTask) => {
      if (task.surface === "discord")
        return !(
          task.replies.length > 0 &&
          [...(discord.messages.get(task.messageId!)?.reactions ?? [])].some((emoji) =>
            "✅❌🚫".includes(emoji),
          )
        );
      return task.terminals.length === 0;
    };
    const open = () => observations.tasks.filter(pending).length;
    const hostStates = () => [...hosts.values()].map((host) => `${host.name} ${host.state}`).join(", ");
    const rssNow = () =>
      [...hosts.values()].flatMap((host) => {
        const mb = host.rssMb();
        return mb === undefined || host.pid === undefined ? [] : [{ host: host.name, pid: host.pid, mb }];
      });
    const progress = () => {
      const rss = rssNow().reduce((sum, host) => sum + host.mb, 0);
      const elapsed = Date.now() - start;
      const when =
        elapsed <= plan.trafficMs
          ? `${formatClock(elapsed)}/${formatClock(plan.trafficMs)}`
          : `${formatClock(elapsed)} settling`;
      out(
        `soak ${when}: ${observations.tasks.length} tasks, ${observations.tasks.length - open()} ended, ${open()} open; faults ${faultsDone}/${plan.faults.length}; hosts ${hostStates()}; model ${model.phase}; rss ${Math.round(rss)} MB`,
      );
    };
    const probing = new Set<SoakHost>();
    const probe = () => {
      for (const host of hosts.values()) {
        if (probing.has(host)) continue;
        probing.add(host);
        void probeHealth(host, observations).finally(() => probing.delete(host));
      }
    };
    const timers = [
      setInterval(() => discordSide.look(Date.now()), LOOK_EVERY_MS),
      setInterval(probe, HEALTH_EVERY_MS),
      setInterval(progress, PROGRESS_EVERY_MS),
      setTimeout(
        () => {
          observations.rss.start = { at: Date.now(), hosts: rssNow() };
        },
        Math.min(RSS_FROM_MS, plan.trafficMs / 2),
      ),
    ];
    cleanups.push(async () => {
      for (const timer of timers) clearTimeout(timer);
    });

    const schedule = [
      ...plan.tasks.map((task) => ({ at: task.at, run: () => send(task) })),
      ...plan.faults.map((fault) => ({
        at: fault.at,
        run: () => {
          faults.push(
            injectFault(fault, targets)
              .catch((error: unknown) => {
                observations.harnessProblems.push(
                  `fault ${fault.kind} at ${formatClock(fault.at)} failed: ${String(error)}`,
                );
              })
              .finally(() => {
                faultsDone += 1;
              }),
          );
        },
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
    out(
      `soak: traffic stopped after ${formatClock(observations.trafficEnd - start)}; letting the work settle`,
    );

    // ── settle ──────────────────────────────────────────────────────────
    const settleBy = Date.now() + SETTLE_MS;
    let quiet = 0;
    while (Date.now() < settleBy && quiet < 3) {
      await sleep(1_000);
      discordSide.look(Date.now());
      const backlogs = await Promise.all([queueBacklog(a), queueBacklog(b), queueBacklog(c)]);
      const redisBacklog = backlogs[0] ?? backlogs[1];
      quiet = open() === 0 && redisBacklog === 0 && backlogs[2] === 0 ? quiet + 1 : 0;
    }
    discordSide.look(Date.now());
    observations.checkedAt = Date.now();
    for (const timer of timers) clearTimeout(timer);
    await Promise.all([...hosts.values()].map((host) => probeHealth(host, observations)));
    observations.rss.end = { at: Date.now(), hosts: rssNow() };
    discordSide.finish();
    out(
      `soak: settled after ${formatClock(observations.checkedAt - observations.trafficEnd)}; ${open()} task(s) still open; reading the stores`,
    );

    // ── read back ───────────────────────────────────────────────────────
    const redisQueue = await createRedisWorkQueue({
      redis: redis.url,
      namespace: NAMESPACE,
      leaseMs: plan.leaseMs,
    });
    await readRecords(redisQueue, observations.tasks, "redis");
    await redisQueue.close();
    finishing = true;
    const exits = await Promise.all(
      [...hosts.values()].map(async (host) => `${host.name} ${String(await host.stop(STOP_DEADLINE_MS))}`),
    );
    out(`soak: hosts stopped (exit codes: ${exits.join(", ")})`);
    const sqlite = join(dir, "c", `${NAMESPACE}.sqlite`);
    const embeddedQueue = openSqliteWorkQueue({ path: sqlite, leaseMs: plan.leaseMs });
    observations.ledger = readLedger(ledger);
    adoptOrphans(observations, consoleSide.orphans, consoleSide.strayReplies);
    await readRecords(embeddedQueue, observations.tasks, "embedded");
    await embeddedQueue.close();
    const client = new Redis(redis.url);
    await readOutbox(new RedisOutboxStore({ redis: client, namespace: NAMESPACE }), "redis", observations);
    await client.quit();
    const embeddedOutbox = openSqliteOutboxStore({ path: sqlite });
    await readOutbox(embeddedOutbox, "embedded", observations);
    await embeddedOutbox.close();
    observations.alerts.push(
      ...readAlertFiles(join(dir, "alerts-redis"), "redis"),
      ...readAlertFiles(join(dir, "alerts-embedded"), "embedded"),
    );
  } catch (error) {
    observations.harnessProblems.push(
      `the run stopped early: ${error instanceof Error ? error.stack : String(error)}`,
    );
  } finally {
    finishing = true;
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }

  const verdict = judge(observations);
  for (const line of reportLines(verdict, observations)) out(line);
  if (options.keep) out(`soak: the run's folder (hosts' logs, ledger, stores, alerts) is kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  out(summaryLine(verdict));
  return { verdict, exitCode: verdict.failed.length > 0 ? 1 : 0 };
};

/**
 * Tasks the console showed only by id (a later life resumed them before showing their 📥): the
 * ledger names their token; a typed line never acknowledged becomes the task it really was.
 */
const adoptOrphans = (
  observations: ReturnType<typeof emptyObservations>,
  orphans: ReadonlyMap<string, Pick<SoakTask, "terminals" | "replies">>,
  strayReplies: ReadonlyMap<string, readonly { at: number; text: string }[]>,
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
