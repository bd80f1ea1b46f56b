// `troupe start`: build the host's resources (store, team, worker, HTTP), run the local console until
// input ends or a signal arrives, then let the layers release everything in reverse order. Returns
// the process's exit code: 1 when the team escalated, 3 when the stop left work unfinished (see
// docs/operations.md). A stop never outlasts the drain timeout by more than STOP_GRACE_MS: past
// that, whatever still waits (an unreachable store, say) is abandoned and troupe exits with 3.
import type { Readable, Writable } from "node:stream";
import { type AnyAgentDefinition, jsonLogger, type Logger } from "@troupe/runtime";
import { Effect } from "effect";
import type { HostConfig } from "../config/hostConfig.ts";
import { type LocalConsole, startLocalConsole } from "../console/LocalConsole.ts";
import { openTerminalLogs } from "../console/terminalLogs.ts";
import { holdDiscordWhileLeased, type RunningFront } from "../discord/holdDiscordWhileLeased.ts";
import { startDiscordFront } from "../discord/startDiscordFront.ts";
import type { DrainClock } from "./drainClock.ts";
import {
  HostDrain,
  HostGatewayLease,
  HostHttp,
  HostHuman,
  HostHumanRelay,
  HostMetrics,
  HostNotifier,
  HostQueue,
  HostSurfaceHuman,
  HostTeam,
  HostWorker,
  hostLayer,
  reportHealth,
} from "./hostLayers.ts";
import { HostTrace } from "./hostTrace.ts";
import { tightenDataFolder } from "./tightenDataFolder.ts";

export interface StartIo {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: Writable & { readonly isTTY?: boolean };
  readonly logger?: Logger;
  /** Agents added to the default team (a program running troupe with agents of its own). */
  readonly agents?: readonly AnyAgentDefinition[] | undefined;
  /** Exit now (a second Ctrl-C); process.exit by default. */
  readonly exitNow?: (code: number) => void;
}

/** Exit code when the team escalated (its supervisor gave up) before troupe stopped. */
export const EXIT_ESCALATED = 1;

/** Exit code when the stop left work unfinished (tasks interrupted, outcomes the store did not take). */
export const EXIT_WORK_LEFT = 3;

/** Exit code of a second Ctrl-C: 128 + SIGINT. */
export const EXIT_INTERRUPTED = 130;

/** How long the release of everything may run past the drain timeout before troupe exits anyway. */
export const STOP_GRACE_MS = 5_000;

export const runStart = async (config: HostConfig, io: StartIo): Promise<number> => {
  // The console in a terminal is quiet: logs to a file, warnings and errors above the prompt. Piped,
  // on Discord, or with a level chosen (--log-level, TROUPE_LOG_LEVEL): JSON lines on stderr.
  const quiet =
    !io.logger && !config.discord && !config.logLevelSet && Boolean(io.stdin.isTTY && io.stdout.isTTY);
  const terminalLogs = quiet
    ? openTerminalLogs({
        path: config.logFile,
        level: config.logLevel,
        fallback: (line) => io.stdout.write(`${line}\n`),
      })
    : undefined;
  const logger =
    io.logger ?? terminalLogs?.logger ?? jsonLogger({ level: config.logLevel, base: { service: "troupe" } });
  const exitNow = io.exitNow ?? ((code: number) => process.exit(code));
  await tightenDataFolder(config, logger);

  let drainClock: DrainClock | undefined;
  let overrun: ReturnType<typeof setTimeout> | undefined;
  const watchOverrun = () => {
    overrun = setTimeout(() => {
      logger.log("error", "the stop overran the drain timeout: exiting with work left", {
        drainTimeoutMs: config.drainTimeoutMs,
        graceMs: STOP_GRACE_MS,
        workLeft: drainClock?.workLeft ?? [],
      });
      exitNow(EXIT_WORK_LEFT);
    }, STOP_GRACE_MS);
    overrun.unref();
  };

  const program = Effect.gen(function* () {
    const team = yield* HostTeam;
    const http = yield* HostHttp;
    const store = yield* HostQueue;
    const drain = yield* HostDrain;
    drainClock = drain;
    drain.expired.addEventListener("abort", watchOverrun, { once: true });
    const worker = yield* HostWorker;
    const human = yield* HostHuman;
    const notifier = yield* HostNotifier;
    // Said once, where the person who started troupe reads it (a secret never goes to the logs).
    if (http.inspectAddress)
      io.stdout.write(
        `The visualizer, from other machines too: ${http.inspectAddress}\n(this token is made for this run; set TROUPE_HTTP_TOKEN to choose one)\n`,
      );
    let localConsole: LocalConsole | undefined;
    let discordFront: RunningFront | undefined;
    let interrupts = 0;
    const interrupt = (signal: string) => {
      interrupts += 1;
      if (interrupts > 1) {
        logger.log("warn", "second interrupt: exiting without waiting for running tasks", { signal });
        exitNow(EXIT_INTERRUPTED);
        return;
      }
      logger.log("info", "interrupted: finishing running tasks (interrupt again to exit at once)", {
        signal,
      });
      void (discordFront ?? localConsole)?.stop(signal);
    };
    const onSigint = () => interrupt("SIGINT");
    const onSigterm = () => interrupt("SIGTERM");
    // Installed before the console exists: a signal is handled on a later turn of the event loop.
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        process.on("SIGINT", onSigint);
        process.on("SIGTERM", onSigterm);
      }),
      () =>
        Effect.sync(() => {
          process.off("SIGINT", onSigint);
          process.off("SIGTERM", onSigterm);
        }),
    );
    if (config.discord) {
      // Discord instead of the console: messages in the mapped channels are the input.
      const frontOptions = {
        discord: config.discord,
        fallbackDir: config.discordFallbackDir,
        registry: (yield* HostMetrics).registry,
        team,
        queue: store.queue,
        worker,
        ...(store.snapshots ? { snapshots: store.snapshots } : {}),
        drain,
        logger,
        human: yield* HostSurfaceHuman,
        replayCommand: (yield* HostTrace).replayCommandOf,
      };
      // With Redis, several hosts may share the team: only the gateway lease's holder connects.
      const lease = yield* HostGatewayLease;
      const front = lease
        ? yield* holdDiscordWhileLeased({ ...frontOptions, lease, relay: yield* HostHumanRelay })
        : yield* startDiscordFront(frontOptions);
      discordFront = front;
      yield* reportHealth("discord", front.health);
      worker.start();
      logger.log("info", "troupe started", {
        agents: team.status().agents.map((agent) => agent.name),
        surface: "discord",
        http: http.url ?? null,
        store: store.kind,
        consumer: config.consumer,
      });
      yield* Effect.promise(() => front.done);
      return team.status().escalated;
    }
    const running = startLocalConsole({
      team,
      queue: store.queue,
      worker,
      queueLabel: store.label,
      drain,
      input: io.stdin,
      output: io.stdout,
      logger,
      drainTimeoutMs: config.drainTimeoutMs,
      maxTaskBytes: config.maxTaskBytes,
      human,
      notifier,
      replayCommand: (yield* HostTrace).replayCommandOf,
      ...(store.snapshots ? { snapshots: store.snapshots } : {}),
      consumer: config.consumer,
      onInterrupt: onSigint,
      ...(terminalLogs ? { logFile: terminalLogs.path } : {}),
    });
    localConsole = running;
    terminalLogs?.printWith(running.print);
    // Only now: the console follows the tasks an earlier run left open, and shows their events.
    yield* Effect.promise(() => running.ready);
    worker.start();
    logger.log("info", "troupe started", {
      agents: team.status().agents.map((agent) => agent.name),
      http: http.url ?? null,
      store: store.kind,
      consumer: config.consumer,
    });
    yield* Effect.promise(() => running.done);
    return team.status().escalated;
  });

  let escalated: boolean;
  try {
    escalated = await Effect.runPromise(
      program.pipe(Effect.scoped, Effect.provide(hostLayer(config, logger, io.agents))),
    );
  } finally {
    clearTimeout(overrun);
    drainClock?.expired.removeEventListener("abort", watchOverrun);
  }
  const workLeft = drainClock?.workLeft ?? [];
  const code = escalated ? EXIT_ESCALATED : workLeft.length > 0 ? EXIT_WORK_LEFT : 0;
  logger.log("info", "troupe stopped", { exitCode: code, ...(workLeft.length > 0 ? { workLeft } : {}) });
  terminalLogs?.close();
  return code;
};
