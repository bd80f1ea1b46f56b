// `troupe start` on Discord: connect the discord.js surface (released when troupe stops), check that
// every mapped channel names an agent of the team, and run the surface bridge — messages in Troupe's
// channels become tasks on the host's durable queue, each with its thread, status reaction and reply.
// Stopping takes no new messages and waits, within the drain timeout, for the outcomes of the tasks
// Discord started to be posted and their reactions to settle. Slash commands are answered too, and
// the scheduled tasks of /schedule run while troupe is on Discord. While Discord's REST keeps failing,
// the outgoing messages go to the file-drop folder and are replayed in order when it is back (or at
// the next start: they stay on disk when troupe stops). With the host's store, the tasks a previous
// run left open are reconciled before the worker starts (threads, outcomes, one reaction), and then
// what was written in the mapped channels while troupe was not connected is read back and answered
// (again after every reconnect of the gateway), in the background.
import type { Logger, SnapshotStore, SurfaceHumanGateway, Team, Worker, WorkQueue } from "@troupe/runtime";
import {
  handleSurfaceCommands,
  isTroupeError,
  startSurfaceBridge,
  TroupeError,
  withFileDrop,
} from "@troupe/runtime";
import { createDiscordMetrics, createFileDropMetrics } from "@troupe/runtime/metrics";
import { Effect } from "effect";
import type { Registry } from "prom-client";
import type { DiscordConfig } from "../config/discordConfig.ts";
import type { HealthCheck } from "../health/HealthChecks.ts";
import { createHostSchedules, type ScheduleOutcomes } from "../schedules/hostSchedules.ts";
import type { DrainClock } from "../start/drainClock.ts";

export interface DiscordFrontOptions {
  readonly discord: DiscordConfig;
  readonly team: Team;
  readonly queue: WorkQueue;
  /** This host's worker: /cancel reaches a task it leased that waits for its agent. */
  readonly worker?: Pick<Worker, "cancel">;
  readonly drain: DrainClock;
  readonly logger: Logger;
  /** Where Discord REST responses and rate limits are counted (the host's /metrics registry). */
  readonly registry?: Registry;
  /**
   * The host's store: the bridge's open tasks and the approvals' messages are remembered there across
   * a restart, and /schedule keeps its scheduled tasks there (no scheduler without it).
   */
  readonly snapshots?: SnapshotStore;
  /** Asks questions and approvals in the tasks' threads once attached here. */
  readonly human?: SurfaceHumanGateway;
  /** How long connecting may take (default 30s). */
  readonly connectTimeoutMs?: number;
  /** The file-drop folder for outgoing messages while Discord's REST keeps failing (none: no fallback). */
  readonly fallbackDir?: string;
  /** Where /schedule's runs' outcomes are sent (the host's notifier). */
  readonly scheduleOutcomes?: ScheduleOutcomes;
  /** The command that re-runs a recorded task offline, shown under its outcome (HostTrace). */
  readonly replayCommand?: (taskId: string) => string | undefined;
  /**
   * Whether this host still holds the gateway lease (several hosts on one Redis), asked before each
   * REST call that changes Discord and before a message or slash command is taken: a host resumed
   * after a freeze drops what it would still send and leaves what comes in to the holder.
   */
  readonly fence?: () => Promise<boolean>;
}

export interface DiscordFront {
  /** Resolves once stop() finished draining. */
  readonly done: Promise<void>;
  stop(reason: string): Promise<void>;
  /**
   * Stop at once, without waiting for open tasks' outcomes (another host holds the gateway now); the
   * tasks run on and stay in the work queue.
   */
  letGo(reason: string): Promise<void>;
  /** Down while the gateway is not connected (reconnecting, resuming): no message reaches the host then. */
  readonly health: HealthCheck;
}

/** Every agent DISCORD_CHANNELS names is in the team; throws InvalidCommand naming the first that is not. */
export const checkChannelAgents = (discord: DiscordConfig, team: Team): readonly string[] => {
  const agents = team.status().agents.map((agent) => agent.name);
  for (const [channel, agent] of discord.channels)
    if (agent !== null && !agents.includes(agent))
      throw new TroupeError(
        "InvalidCommand",
        `DISCORD_CHANNELS maps "${channel}" to the agent "${agent}", which is not in the team (${agents.join(", ")})`,
      );
  return agents;
};

export const startDiscordFront = (options: DiscordFrontOptions) =>
  Effect.gen(function* () {
    const { discord, team, queue, drain, logger } = options;
    const agents = checkChannelAgents(discord, team);
    const { createDiscordSurface } = yield* Effect.promise(() => import("@troupe/runtime/discord"));
    let onRateLimited = (_ms: number) => {};
    const discordSurface = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const created = createDiscordSurface({
            token: discord.token.reveal(),
            logger,
            threadAutoArchiveMinutes: discord.threadAutoArchiveMinutes,
            onRateLimited: (ms) => onRateLimited(ms),
            ...(options.fence ? { fence: options.fence } : {}),
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
    // Released before the client: a replay under way finishes (within the drain time) or stays on disk.
    const fallbackDir = options.fallbackDir;
    const surface =
      fallbackDir === undefined
        ? discordSurface
        : yield* Effect.acquireRelease(
            Effect.tryPromise({
              try: () =>
                withFileDrop(discordSurface, {
                  dir: fallbackDir,
                  logger,
                  ...(options.registry
                    ? { metrics: createFileDropMetrics({ registry: options.registry }) }
                    : {}),
                }),
              catch: (error) =>
                isTroupeError(error)
                  ? new TroupeError(error._tag, `TROUPE_DISCORD_FALLBACK_DIR: ${error.reason}`, {
                      cause: error,
                    })
                  : error,
            }),
            (fileDrop) =>
              Effect.promise(async () => {
                await fileDrop.close(AbortSignal.timeout(Math.max(1, drain.remainingMs())));
                logger.log("info", "discord: file-drop fallback closed", {
                  dir: fileDrop.dir,
                  ...fileDrop.stats(),
                });
              }),
          );
    const bridge = startSurfaceBridge({
      surface,
      bus: team.bus,
      queue,
      channels: discord.channels,
      agents: () => agents,
      privacy: discord.privacy,
      format: team.formatterFor("markdown"),
      catchUp: discord.catchUp,
      logger,
      ...(options.replayCommand ? { replayCommand: options.replayCommand } : {}),
      ...(options.snapshots ? { store: options.snapshots } : {}),
    });
    onRateLimited = (ms) => bridge.pressure(ms);
    const reconciled = yield* Effect.promise(() => bridge.reconcile());
    if (reconciled > 0)
      logger.log("info", "discord: tasks left open before the restart reconciled", { reconciled });
    // Not waited for: while Discord's REST is down it keeps trying, and troupe takes work meanwhile.
    void bridge.catchUp();
    const detachHuman = options.human?.attach({
      surface,
      threadOf: (taskId) => bridge.threadOf(taskId),
      awaitsAnswer: (taskId, waits) => bridge.awaitsAnswer(taskId, waits),
      ...(options.snapshots ? { store: options.snapshots } : {}),
    });
    const schedules = options.snapshots
      ? createHostSchedules({
          store: options.snapshots,
          queue,
          logger,
          ...(options.scheduleOutcomes ? { outcomes: options.scheduleOutcomes } : {}),
        })
      : undefined;
    // Slash commands (registered with `troupe register-commands`).
    const commands = handleSurfaceCommands({
      surface,
      team,
      queue,
      bus: team.bus,
      logger,
      ...(options.worker ? { worker: options.worker } : {}),
      ...(schedules ? { schedules } : {}),
      ...(options.replayCommand ? { replayCommand: options.replayCommand } : {}),
    });
    // Started once /schedule listens for the runs, so a run missed while troupe was down is answered too.
    if (schedules)
      yield* Effect.acquireRelease(
        Effect.promise(() => schedules.start()),
        () => Effect.sync(() => schedules.stop()),
      );
    logger.log("info", "discord surface started", {
      channels: Object.fromEntries(discord.channels),
      guildId: discord.guildId ?? null,
      privacy: discord.privacy,
      fallbackDir: fallbackDir ?? null,
    });

    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    let stopping: Promise<void> | undefined;
    /** Stop; with `drainTasks`, first wait (within the drain timeout) for open tasks' outcomes. */
    const finish = (reason: string, drainTasks: boolean): Promise<void> => {
      stopping ??= (async () => {
        if (drainTasks) drain.start();
        logger.log(
          "info",
          drainTasks
            ? "discord surface stopping: posting the outcomes of its open tasks"
            : "discord surface stopping at once",
          { reason, open: bridge.open },
        );
        const deadline = drainTasks
          ? AbortSignal.timeout(Math.max(1, drain.remainingMs()))
          : AbortSignal.abort();
        await Promise.all([bridge.stop(deadline), commands.stop(deadline)]);
        detachHuman?.();
        if (bridge.open > 0) {
          logger.log("warn", "tasks still open when the Discord surface stopped stay in the work queue", {
            open: bridge.open,
          });
          if (drainTasks)
            drain.leftWork(`${bridge.open} Discord task${bridge.open === 1 ? "" : "s"} still open`);
        }
        logger.log("info", "discord surface stopped", bridge.stats() as unknown as Record<string, unknown>);
        resolveDone();
      })();
      return stopping;
    };
    const front: DiscordFront = {
      done,
      stop: (reason) => finish(reason, true),
      letGo: (reason) => finish(reason, false),
      health: () =>
        discordSurface.gatewayReady()
          ? { status: "up", details: { gateway: "connected" } }
          : { status: "down", reason: "the Discord gateway is not connected (reconnecting)" },
    };
    return front;
  });
