// Everything a soak run runs against, started in order and closed in reverse: a private persistent
// redis-server, the Discord and Ollama stand-ins, the watch on the Redis team's events, and the
// three hosts — a and b on that Redis and on Discord (a started first, so it holds the gateway), c on
// the embedded store with its console — each a real `troupe start` with the `soak` test agent, a
// short lease and a file alert sink. What the hosts print and log goes to the console and Discord
// sides and into the observations; a host that exits on its own is started again.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type DiscordStandIn, startDiscordStandIn } from "../harness/discordStandIn.ts";
import { type PrivateRedis, startPrivateRedis } from "../harness/privateRedis.ts";
import { type ConsoleSide, createConsoleSide } from "./soakConsole.ts";
import { createDiscordSide, type DiscordSide, SOAK_CHANNEL } from "./soakDiscord.ts";
import { createSoakHost, type HostListener, type SoakHost } from "./soakHosts.ts";
import { SOAK_MODEL, type SoakModel, startSoakModel } from "./soakModel.ts";
import type { Observations } from "./soakObservations.ts";
import type { HostName, SoakPlan } from "./soakPlan.ts";
import { watchRedisEvents } from "./soakProbes.ts";

export const NAMESPACE = "soak";

export interface SoakWorld {
  readonly redis: PrivateRedis;
  readonly discord: DiscordStandIn;
  readonly model: SoakModel;
  readonly hosts: ReadonlyMap<HostName, SoakHost>;
  readonly consoleSide: ConsoleSide;
  readonly discordSide: DiscordSide;
  /** The embedded store's file (host c's), read once c stopped. */
  readonly sqlitePath: string;
  /** From now on a host that exits is not started again (the run is ending). */
  ending(): void;
  /** Kill what is still running and close everything, in reverse order. */
  close(): Promise<void>;
}

export const startSoakWorld = async (options: {
  readonly plan: SoakPlan;
  /** The run's folder: each host's data folder, the alert files, the hosts' logs. */
  readonly dir: string;
  readonly observations: Observations;
  readonly tokenPattern: RegExp;
  readonly out: (line: string) => void;
}): Promise<SoakWorld> => {
  const { plan, dir, observations, out } = options;
  const closers: (() => Promise<unknown>)[] = [];
  let ending = false;
  const close = async () => {
    ending = true;
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const redis = await startPrivateRedis({ persistent: true });
    closers.push(() => redis.stop());
    const discord = await startDiscordStandIn({ channels: [SOAK_CHANNEL] });
    closers.push(() => discord.close());
    const model = await startSoakModel();
    closers.push(() => model.close());
    const origins = new Map<string, HostName>();
    const events = watchRedisEvents({ url: redis.url, namespace: NAMESPACE, observations, origins });
    closers.push(() => events.close());
    const consoleSide = createConsoleSide(observations, options.tokenPattern);
    const discordSide = createDiscordSide(observations, discord, options.tokenPattern);

    const startAgain = async (host: SoakHost) => {
      await sleep(1_000);
      if (ending) return;
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
        if (life.endedBySoak || ending) return;
        const how = `host ${host.name} (pid ${life.pid}) exited on its own (${String(life.exit)})`;
        out(`soak: ${how}; starting it again`);
        observations.stops.push({ at, cluster: host.cluster, host: host.name, what: how });
        observations.faults.push({ kind: "host-exit", host: host.name, pid: life.pid, from: at, to: at });
        void startAgain(host);
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
    const envOf = (name: HostName): Record<string, string> =>
      name === "c"
        ? {
            ...common,
            TROUPE_CONSUMER: "soak-c",
            TROUPE_DATA_DIR: join(dir, name),
            TROUPE_NOTIFY_FILE_DIR: join(dir, "alerts-embedded"),
          }
        : {
            ...common,
            ...discord.hostEnv(),
            DISCORD_CHANNELS: `${SOAK_CHANNEL}=soak`,
            REDIS_URL: redis.url,
            TROUPE_GATEWAY_LEASE: `${plan.gatewayLeaseMs / 1_000}s`,
            TROUPE_CONSUMER: `soak-${name}`,
            TROUPE_DATA_DIR: join(dir, name),
            TROUPE_NOTIFY_FILE_DIR: join(dir, "alerts-redis"),
          };
    const hosts = new Map<HostName, SoakHost>();
    for (const name of ["a", "b", "c"] as const) {
      mkdirSync(join(dir, name), { recursive: true });
      hosts.set(
        name,
        createSoakHost({
          name,
          env: envOf(name),
          logDir: dir,
          listener,
          lives: observations.lives,
          // a holds the gateway from the start: the traffic begins once Discord is up.
          ...(name === "a" ? { readyLog: "discord surface started" } : {}),
        }),
      );
    }
    closers.push(async () => {
      for (const host of hosts.values()) await host.kill();
    });
    await hosts.get("a")!.start();
    await Promise.all([hosts.get("b")!.start(), hosts.get("c")!.start()]);
    return {
      redis,
      discord,
      model,
      hosts,
      consoleSide,
      discordSide,
      sqlitePath: join(dir, "c", `${NAMESPACE}.sqlite`),
      ending: () => {
        ending = true;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
};
