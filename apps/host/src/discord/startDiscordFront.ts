// `troupe start` on Discord: connect the discord.js surface (released when troupe stops), check that
// every mapped channel names an agent of the team, and run the surface bridge — messages in Troupe's
// channels become tasks on the host's durable queue, each with its thread, status reaction and reply.
// Stopping takes no new messages and waits, within the drain timeout, for the outcomes of the tasks
// Discord started to be posted and their reactions to settle. With the host's store, the tasks a
// previous run left open are reconciled before the worker starts (threads, outcomes, one reaction).
import type { Logger, SnapshotStore, SurfaceHumanGateway, Team, WorkQueue } from "@troupe/runtime";
import { handleSurfaceCommands, startSurfaceBridge, TroupeError } from "@troupe/runtime";
import { createDiscordMetrics } from "@troupe/runtime/metrics";
import { Effect } from "effect";
import type { Registry } from "prom-client";
import type { DiscordConfig } from "../config/discordConfig.ts";
import { formatResult } from "../console/formatResult.ts";
import type { DrainClock } from "../start/drainClock.ts";

export interface DiscordFrontOptions {
  readonly discord: DiscordConfig;
  readonly team: Team;
  readonly queue: WorkQueue;
  readonly drain: DrainClock;
  readonly logger: Logger;
  /** Where Discord REST responses and rate limits are counted (the host's /metrics registry). */
  readonly registry?: Registry;
  /** Where the bridge's open tasks and the approvals' messages are remembered across a restart. */
  readonly snapshots?: SnapshotStore;
  /** Asks questions and approvals in the tasks' threads once attached here. */
  readonly human?: SurfaceHumanGateway;
  /** How long connecting may take (default 30s). */
  readonly connectTimeoutMs?: number;
}

export interface DiscordFront {
  /** Resolves once stop() finished draining. */
  readonly done: Promise<void>;
  stop(reason: string): Promise<void>;
}

export const startDiscordFront = (options: DiscordFrontOptions) =>
  Effect.gen(function* () {
    const { discord, team, queue, drain, logger } = options;
    const agents = team.status().agents.map((agent) => agent.name);
    for (const [channel, agent] of discord.channels)
      if (agent !== null && !agents.includes(agent))
        throw new TroupeError(
          "InvalidCommand",
          `DISCORD_CHANNELS maps "${channel}" to the agent "${agent}", which is not in the team (${agents.join(", ")})`,
        );
    const { createDiscordSurface } = yield* Effect.promise(() => import("@troupe/runtime/discord"));
    let onRateLimited = (_ms: number) => {};
    const surface = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const created = createDiscordSurface({
            token: discord.token.reveal(),
            logger,
            threadAutoArchiveMinutes: discord.threadAutoArchiveMinutes,
            onRateLimited: (ms) => onRateLimited(ms),
            ...(options.registry ? { metrics: createDiscordMetrics({ registry: options.registry }) } : {}),
            ...(discord.apiUrl === undefined ? {} : { apiUrl: discord.apiUrl }),
            ...(discord.guildId === undefined ? {} : { guildId: discord.guildId }),
          });
          await created.connect(AbortSignal.timeout(options.connectTimeoutMs ?? 30_000));
          return created;
        },
        catch: (error) => error,
      }),
      (connected) =>
        Effect.promise(async () => {
          await connected.close();
          logger.log(
            "info",
            "discord: disconnected",
            connected.stats() as unknown as Record<string, unknown>,
          );
        }),
    );
    const bridge = startSurfaceBridge({
      surface,
      bus: team.bus,
      queue,
      channels: discord.channels,
      agents: () => agents,
      privacy: discord.privacy,
      format: formatResult,
      logger,
      ...(options.snapshots ? { store: options.snapshots } : {}),
    });
    onRateLimited = (ms) => bridge.pressure(ms);
    const reconciled = yield* Effect.promise(() => bridge.reconcile());
    if (reconciled > 0)
      logger.log("info", "discord: tasks left open before the restart reconciled", { reconciled });
    const detachHuman = options.human?.attach({
      surface,
      threadOf: (taskId) => bridge.threadOf(taskId),
      ...(options.snapshots ? { store: options.snapshots } : {}),
    });
    // Slash commands (registered with `troupe register-commands`).
    const commands = handleSurfaceCommands({
      surface,
      team,
      queue,
      bus: team.bus,
      format: formatResult,
      logger,
    });
    logger.log("info", "discord surface started", {
      channels: Object.fromEntries(discord.channels),
      guildId: discord.guildId ?? null,
      privacy: discord.privacy,
    });

    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    let stopping: Promise<void> | undefined;
    const stop = (reason: string): Promise<void> => {
      stopping ??= (async () => {
        drain.start();
        logger.log("info", "discord surface stopping: posting the outcomes of its open tasks", {
          reason,
          open: bridge.open,
        });
        const deadline = AbortSignal.timeout(Math.max(1, drain.remainingMs()));
        await Promise.all([bridge.stop(deadline), commands.stop(deadline)]);
        detachHuman?.();
        if (bridge.open > 0)
          logger.log("warn", "tasks still open when the Discord surface stopped stay in the work queue", {
            open: bridge.open,
          });
        logger.log("info", "discord surface stopped", bridge.stats() as unknown as Record<string, unknown>);
        resolveDone();
      })();
      return stopping;
    };
    const front: DiscordFront = { done, stop };
    return front;
  });
