// The host's resources as Effect services, each acquired and released in order: the bus, the store
// (work queue), the team, its metrics, the Redis event mirror (with REDIS_URL), the worker that runs
// the queue's tasks on the team, then the HTTP server. Released in reverse: HTTP closes, the worker
// stops leasing and lets running tasks settle, the team drains, the mirror and the queue close. If
// the HTTP port cannot be taken the host logs why and runs on without HTTP (HostHttp's url is then
// undefined). Bound beyond loopback without TROUPE_HTTP_TOKEN, the HTTP server makes a token for
// /inspect, which `troupe start` prints once (HostHttp's inspectAddress).
import {
  type AnyAgentDefinition,
  createSurfaceHumanGateway,
  EventBus,
  type Logger,
  type SurfaceHumanGateway,
  startWorker,
  type Team,
  type Worker,
} from "@troupe/runtime";
import type { LlmMetricsHook } from "@troupe/runtime/llm";
import {
  createLlmMetrics,
  createMirrorMetrics,
  createRuntimeMetrics,
  createWorkQueueMetrics,
  type RuntimeMetrics,
} from "@troupe/runtime/metrics";
import type { RedisHumanRelay, RedisLease } from "@troupe/runtime/redis";
import { Context, Effect, Layer } from "effect";
import type { HostConfig } from "../config/hostConfig.ts";
import { type ConsoleHumanGateway, createConsoleHumanGateway } from "../console/ConsoleHumanGateway.ts";
import { type HealthCheck, HealthChecks, teamHealth } from "../health/HealthChecks.ts";
import { isLoopbackHost, newAccessToken } from "../http/httpAccess.ts";
import { startHttpServer } from "../http/startHttpServer.ts";
import { createInspectHandler } from "../inspect/createInspectHandler.ts";
import { liveSource } from "../inspect/InspectSource.ts";
import { type HostNotifier as HostNotifierControl, startHostNotifier } from "../notify/startHostNotifier.ts";
import { reportEscalations } from "../team/reportEscalations.ts";
import { teamFromConfig } from "../team/teamFromConfig.ts";
import { type DrainClock, startDrainClock } from "./drainClock.ts";
import { type HostStore, openEmbeddedStore, openRedisStore } from "./hostStore.ts";
import { openHostToolsMemory, type HostToolsMemory as ToolsMemory } from "./hostToolsMemory.ts";
import { HostTrace, traceLayer } from "./hostTrace.ts";

export class HostBus extends Context.Service<HostBus, EventBus>()("@troupe/host/HostBus") {}

export class HostDrain extends Context.Service<HostDrain, DrainClock>()("@troupe/host/HostDrain") {}

/** Where each part registers its health check, for /healthz and /readyz. */
export class HostHealth extends Context.Service<HostHealth, HealthChecks>()("@troupe/host/HostHealth") {}

/** Report `name`'s health while the current layer (or scope) lives. */
export const reportHealth = (name: string, check: HealthCheck) =>
  Effect.gen(function* () {
    const health = yield* HostHealth;
    yield* Effect.acquireRelease(
      Effect.sync(() => health.register(name, check)),
      (unregister) => Effect.sync(unregister),
    );
  });

export class HostQueue extends Context.Service<HostQueue, HostStore>()("@troupe/host/HostQueue") {}

/** Who answers agents' questions and approvals: the console's gateway, built before the team. */
/** On Discord: the gateway that asks in the task's thread (attached by the Discord front). */
export class HostSurfaceHuman extends Context.Service<HostSurfaceHuman, SurfaceHumanGateway | undefined>()(
  "@troupe/host/HostSurfaceHuman",
) {}
export class HostHuman extends Context.Service<HostHuman, ConsoleHumanGateway>()("@troupe/host/HostHuman") {}

/**
 * With Redis and Discord: the team's questions, approvals and votes go through Redis to whichever
 * host holds the Discord gateway (this one too), which serves them while it holds it.
 */
export class HostHumanRelay extends Context.Service<HostHumanRelay, RedisHumanRelay | undefined>()(
  "@troupe/host/HostHumanRelay",
) {}

/** The agents' MCP tools (per allow-list) and memory stores. */
export class HostToolsMemory extends Context.Service<HostToolsMemory, ToolsMemory>()(
  "@troupe/host/HostToolsMemory",
) {}

export class HostTeam extends Context.Service<HostTeam, Team>()("@troupe/host/HostTeam") {}

export class HostMetrics extends Context.Service<HostMetrics, RuntimeMetrics>()("@troupe/host/HostMetrics") {}

export class HostMirror extends Context.Service<HostMirror, { readonly active: boolean }>()(
  "@troupe/host/HostMirror",
) {}

/** With Redis and Discord: the lease that lets exactly one host of several hold the Discord gateway. */
export class HostGatewayLease extends Context.Service<HostGatewayLease, RedisLease | undefined>()(
  "@troupe/host/HostGatewayLease",
) {}

/** The worker, started by the host once the console listens, so it sees every resumed task's events. */
export interface HostWorkerControl {
  start(): void;
  /** Tasks running now (0 before start). */
  readonly inFlight: number;
  /** Starting until start(), running (taking work) until the stop begins (the drain clock starts). */
  readonly phase: "starting" | "running" | "stopping";
  /** Cancel a task the worker leased that waits for its agent (false when it holds no such task). */
  cancel(taskId: string, reason: string): Promise<boolean>;
}

export class HostWorker extends Context.Service<HostWorker, HostWorkerControl>()("@troupe/host/HostWorker") {}

export interface HostHttpServer {
  readonly url: string | undefined;
  /** /inspect's address with the token made for this run; undefined when none was made. */
  readonly inspectAddress: string | undefined;
}

export class HostHttp extends Context.Service<HostHttp, HostHttpServer>()("@troupe/host/HostHttp") {}

/** Alerts from the bus to the configured sinks, through the durable outbox on the host's store. */
export class HostNotifier extends Context.Service<HostNotifier, HostNotifierControl>()(
  "@troupe/host/HostNotifier",
) {}

const queueLayer = (config: HostConfig, logger: Logger) =>
  Layer.effect(
    HostQueue,
    Effect.gen(function* () {
      const bus = yield* HostBus;
      const drain = yield* HostDrain;
      const store = yield* Effect.acquireRelease(
        Effect.promise(() =>
          config.store.kind === "redis"
            ? openRedisStore(config, logger, bus, drain)
            : openEmbeddedStore(config, logger),
        ),
        (store) => Effect.promise(() => store.close()),
      );
      yield* reportHealth("store", store.health);
      const { consumerName } = store;
      yield* reportHealth("consumer", () =>
        consumerName.held
          ? { status: "up", details: { name: consumerName.consumer } }
          : {
              status: "down",
              reason: `this host no longer holds its consumer name "${consumerName.consumer}"`,
            },
      );
      return store;
    }),
  );

const teamLayer = (config: HostConfig, logger: Logger, agents: readonly AnyAgentDefinition[]) =>
  Layer.effect(
    HostTeam,
    Effect.gen(function* () {
      const bus = yield* HostBus;
      const { snapshots } = yield* HostQueue;
      const relay = yield* HostHumanRelay;
      const human = relay?.gateway ?? (yield* HostSurfaceHuman) ?? (yield* HostHuman);
      const { tools, memory } = yield* HostToolsMemory;
      const { inspector, recorder } = yield* HostTrace;
      const team = yield* Effect.acquireRelease(
        Effect.sync(() =>
          teamFromConfig(config, {
            logger,
            bus,
            snapshots,
            human: recorder ? recorder.human(human) : human,
            ...(recorder ? { io: recorder.io } : {}),
            tools,
            memory,
            monitorThresholds: config.monitorThresholds,
            llmMetrics,
            restart: config.backoffs.teamRestart,
            extraAgents: agents,
          }),
        ),
        // The worker's release drains the team; this covers every other way out.
        (team) => Effect.promise(() => team.drain({ deadline: config.drainTimeoutMs })),
      );
      // The Inspector watches the team from its first task: the trace and /inspect read it.
      yield* Effect.acquireRelease(
        Effect.sync(() => inspector.attachTeam(team)),
        (detach) => Effect.sync(detach),
      );
      // An escalation is logged once at error level and alerted (critical) through the notifier.
      yield* Effect.acquireRelease(
        Effect.sync(() => reportEscalations({ team, logger, host: config.consumer })),
        (stop) => Effect.sync(stop),
      );
      yield* reportHealth("team", teamHealth(team));
      return team;
    }),
  );

/**
 * Where the agents' model calls are counted: the team exists before the metrics registry (which
 * reads the team), so its models report through this hook, pointed at the registry once it exists.
 */
const llmMetrics: { hook?: LlmMetricsHook } = {};

const metricsLayer = Layer.effect(
  HostMetrics,
  Effect.gen(function* () {
    const team = yield* HostTeam;
    return yield* Effect.acquireRelease(
      Effect.sync(() => {
        const metrics = createRuntimeMetrics({ team });
        llmMetrics.hook = createLlmMetrics({ registry: metrics.registry });
        return metrics;
      }),
      (metrics) =>
        Effect.sync(() => {
          llmMetrics.hook = undefined;
          metrics.close();
        }),
    );
  }),
);

/** With Redis, the team's events go out on pub/sub and other hosts' events come in (at most once). */
const mirrorLayer = (config: HostConfig, logger: Logger) =>
  Layer.effect(
    HostMirror,
    Effect.gen(function* () {
      const { redis } = yield* HostQueue;
      const bus = yield* HostBus;
      const { registry } = yield* HostMetrics;
      if (!redis) return { active: false };
      const mirror = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const { mirrorEvents } = await import("@troupe/runtime/redis");
          return mirrorEvents({
            bus,
            redis,
            namespace: config.namespace,
            logger,
            metrics: createMirrorMetrics({ registry }),
          });
        }),
        (mirror) => Effect.promise(() => mirror.close()),
      );
      logger.log("info", "event mirror: Redis pub/sub", {
        namespace: config.namespace,
        origin: mirror.origin,
      });
      return { active: true };
    }),
  );

const humanRelayLayer = (config: HostConfig, logger: Logger) =>
  Layer.effect(
    HostHumanRelay,
    Effect.gen(function* () {
      const { redis } = yield* HostQueue;
      if (!redis || !config.discord) return undefined;
      return yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const { RedisHumanRelay } = await import("@troupe/runtime/redis");
          return new RedisHumanRelay({ redis, namespace: config.namespace, logger });
        }),
        (relay) => Effect.promise(() => relay.close()),
      );
    }),
  );

/** Held only while this host runs the Discord front; released (if still held) when troupe stops. */
const gatewayLeaseLayer = (config: HostConfig, logger: Logger) =>
  Layer.effect(
    HostGatewayLease,
    Effect.gen(function* () {
      const { redis } = yield* HostQueue;
      if (!redis || !config.discord) return undefined;
      return yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const { RedisLease } = await import("@troupe/runtime/redis");
          return new RedisLease({
            redis,
            key: `troupe:${config.namespace}:discord:gateway`,
            ttlMs: config.gatewayLeaseMs,
            holder: config.consumer,
            logger,
          });
        }),
        (lease) => Effect.promise(() => lease.release()),
      );
    }),
  );

/** Stop leasing, give running tasks what is left of the drain timeout, then drain the team. */
const stopWorker = async (worker: Worker, team: Team, drain: DrainClock, logger: Logger) => {
  drain.start();
  const stopped = worker.stop();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    stopped.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), drain.remainingMs());
    }),
  ]);
  clearTimeout(timer);
  if (!settled) {
    logger.log("warn", "drain timeout reached: interrupting running tasks; they stay in the queue", {
      inFlight: worker.inFlight,
    });
    drain.leftWork(`${worker.inFlight} running task${worker.inFlight === 1 ? "" : "s"} interrupted`);
  }
  // Tasks still running are interrupted (ShuttingDown): their leases stay open for the next start.
  await team.drain({ deadline: settled ? drain.remainingMs() : 0 });
  await stopped;
};

const workerLayer = (config: HostConfig, logger: Logger) =>
  Layer.effect(
    HostWorker,
    Effect.gen(function* () {
      const team = yield* HostTeam;
      const { queue, snapshots } = yield* HostQueue;
      const drain = yield* HostDrain;
      yield* HostMirror; // started before the first task, stopped after the last
      let worker: Worker | undefined;
      const control: HostWorkerControl = {
        start() {
          worker ??= startWorker({
            team,
            queue,
            consumer: config.consumer,
            logger,
            maxAttempts: config.backoffs.retry.maxAttempts,
            // Well under the lease, so a busy host never loses a lease it still holds.
            renewEvery: Math.min(5_000, Math.floor(config.leaseMs / 3)),
            backoff: { base: config.backoffs.retry.baseMs, max: config.backoffs.retry.maxMs },
            ...(snapshots ? { snapshots } : {}),
          });
        },
        get inFlight() {
          return worker?.inFlight ?? 0;
        },
        get phase() {
          return drain.started ? "stopping" : worker ? "running" : "starting";
        },
        cancel: async (taskId, reason) => (await worker?.cancel(taskId, reason)) ?? false,
      };
      return yield* Effect.acquireRelease(Effect.succeed(control), () =>
        Effect.promise(() => (worker ? stopWorker(worker, team, drain, logger) : Promise.resolve())),
      );
    }),
  );

const httpLayer = (config: HostConfig, logger: Logger) =>
  Layer.effect(
    HostHttp,
    Effect.gen(function* () {
      const team = yield* HostTeam;
      const metrics = yield* HostMetrics;
      const health = yield* HostHealth;
      const worker = yield* HostWorker;
      const { inspector, replayTargetOf } = yield* HostTrace;
      // The statecharts visualizer: the host's Inspector watching the running team, served at /inspect,
      // with the commands that replay a recorded task from the record picked.
      const inspect = yield* Effect.acquireRelease(
        Effect.sync(() => ({
          handler: createInspectHandler({ source: liveSource(inspector, replayTargetOf) }),
        })),
        ({ handler }) => Effect.promise(() => handler.close()),
      );
      const beyondLoopback = !isLoopbackHost(config.httpHost);
      const madeToken = beyondLoopback && !config.httpAccess.token ? newAccessToken() : undefined;
      const token = config.httpAccess.token ?? madeToken;
      const server = yield* Effect.acquireRelease(
        Effect.promise(() =>
          startHttpServer({
            team,
            metrics,
            health,
            notReady: () =>
              worker.phase === "starting"
                ? "starting: not taking work yet"
                : worker.phase === "stopping"
                  ? "stopping: taking no new work"
                  : team.status().accepting
                    ? undefined
                    : "the team takes no new tasks",
            host: config.httpHost,
            port: config.httpPort,
            inspect: inspect.handler,
            access: { allowedHosts: config.httpAccess.allowedHosts, token },
          }).then(
            (server) => {
              logger.log("info", "http listening", {
                url: server.url,
                endpoints: [`${server.url}/metrics`, `${server.url}/healthz`, `${server.url}/inspect`],
                inspectAccess: madeToken
                  ? "token made for this run (printed on stdout)"
                  : token
                    ? "TROUPE_HTTP_TOKEN"
                    : "this machine only",
              });
              if (beyondLoopback)
                logger.log(
                  "warn",
                  "http reachable beyond this machine: /metrics and /healthz answer anyone who can reach it, /inspect needs the token",
                  { host: config.httpHost, allowedHosts: config.httpAccess.allowedHosts },
                );
              return server;
            },
            (error: unknown) => {
              logger.log("error", "http server not started: running without /metrics and /healthz", {
                error: error instanceof Error ? error.message : String(error),
              });
              return undefined;
            },
          ),
        ),
        (server) => Effect.promise(() => server?.close() ?? Promise.resolve()),
      );
      return {
        url: server?.url,
        inspectAddress: server && madeToken ? `${server.url}/inspect?token=${madeToken}` : undefined,
      };
    }),
  );

/**
 * The notifier (after the mirror, so other hosts' alerts reach it; released after the worker, so
 * alerts raised while tasks settle are still stored), and the work queue's backlog metrics.
 */
const notifierLayer = (config: HostConfig, logger: Logger) =>
  Layer.effect(
    HostNotifier,
    Effect.gen(function* () {
      const store = yield* HostQueue;
      const bus = yield* HostBus;
      const { registry } = yield* HostMetrics;
      yield* HostMirror;
      createWorkQueueMetrics({ registry, stats: () => store.queue.stats() });
      const notifier = yield* Effect.acquireRelease(
        Effect.promise(() =>
          startHostNotifier({
            config: config.notify,
            store,
            storePath: config.store.kind === "sqlite" ? config.store.path : undefined,
            namespace: config.namespace,
            consumer: config.consumer,
            bus,
            registry,
            logger,
          }),
        ),
        (notifier) => Effect.promise(() => notifier.close()),
      );
      yield* reportHealth("notifier", notifier.health);
      return notifier;
    }),
  );

/** Bus, store, team, metrics, mirror, notifier, worker, HTTP server and gateway lease for `troupe start`, released in reverse order. */
/** The host's layers; `agents` are added to the default team. */
export const hostLayer = (config: HostConfig, logger: Logger, agents: readonly AnyAgentDefinition[] = []) =>
  httpLayer(config, logger).pipe(
    Layer.provideMerge(gatewayLeaseLayer(config, logger)),
    Layer.provideMerge(workerLayer(config, logger)),
    Layer.provideMerge(notifierLayer(config, logger)),
    Layer.provideMerge(mirrorLayer(config, logger)),
    Layer.provideMerge(metricsLayer),
    Layer.provideMerge(teamLayer(config, logger, agents)),
    Layer.provideMerge(humanRelayLayer(config, logger)),
    Layer.provideMerge(queueLayer(config, logger)),
    Layer.provideMerge(traceLayer(config, logger)),
    Layer.provideMerge(
      Layer.effect(
        HostToolsMemory,
        Effect.acquireRelease(
          Effect.promise(() => openHostToolsMemory(config, logger)),
          (opened) => Effect.promise(() => opened.close()),
        ),
      ),
    ),
    Layer.provideMerge(
      Layer.effect(
        HostSurfaceHuman,
        Effect.gen(function* () {
          const fallback = yield* HostHuman;
          return config.discord
            ? createSurfaceHumanGateway({ approverRoles: config.discord.approverRoles, fallback, logger })
            : undefined;
        }),
      ),
    ),
    Layer.provideMerge(Layer.sync(HostHuman, () => createConsoleHumanGateway())),
    Layer.provideMerge(Layer.sync(HostDrain, () => startDrainClock(config.drainTimeoutMs))),
    Layer.provideMerge(Layer.sync(HostHealth, () => new HealthChecks())),
    Layer.provideMerge(Layer.sync(HostBus, () => new EventBus())),
  );
