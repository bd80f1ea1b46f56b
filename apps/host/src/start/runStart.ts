// `troupe start`: build the host's resources (store, team, worker, HTTP), run the local console until
// input ends or a signal arrives, then let the layers release everything in reverse order. Returns
// the process's exit code.
import type { Readable, Writable } from "node:stream";
import { jsonLogger, type Logger } from "@troupe/runtime";
import { Effect } from "effect";
import type { HostConfig } from "../config/hostConfig.ts";
import { type LocalConsole, startLocalConsole } from "../console/LocalConsole.ts";
import { holdDiscordWhileLeased, type RunningFront } from "../discord/holdDiscordWhileLeased.ts";
import { startDiscordFront } from "../discord/startDiscordFront.ts";
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
} from "./hostLayers.ts";
import { tightenDataFolder } from "./tightenDataFolder.ts";

export interface StartIo {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: Writable & { readonly isTTY?: boolean };
  readonly logger?: Logger;
  /** Exit now (a second Ctrl-C); process.exit by default. */
  readonly exitNow?: (code: number) => void;
}

/** Exit code when the team escalated (its supervisor gave up) before troupe stopped. */
export const EXIT_ESCALATED = 1;

/** Exit code of a second Ctrl-C: 128 + SIGINT. */
export const EXIT_INTERRUPTED = 130;

export const runStart = async (config: HostConfig, io: StartIo): Promise<number> => {
  const logger = io.logger ?? jsonLogger({ level: config.logLevel, base: { service: "troupe" } });
  const exitNow = io.exitNow ?? ((code: number) => process.exit(code));
  await tightenDataFolder(config, logger);

  const program = Effect.gen(function* () {
    const team = yield* HostTeam;
    const http = yield* HostHttp;
    const store = yield* HostQueue;
    const drain = yield* HostDrain;
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
        ...(store.snapshots ? { snapshots: store.snapshots } : {}),
        drain,
        logger,
        human: yield* HostSurfaceHuman,
      };
      // With Redis, several hosts may share the team: only the gateway lease's holder connects.
      const lease = yield* HostGatewayLease;
      const front = lease
        ? yield* holdDiscordWhileLeased({ ...frontOptions, lease, relay: yield* HostHumanRelay })
        : yield* startDiscordFront(frontOptions);
      discordFront = front;
      worker.start();
      logger.log("info", "troupe started", {
        agents: team.status().agents.map((agent) => agent.name),
        surface: "discord",
        http: http.url ?? null,
        store: store.kind,
        consumer: config.consumer,
      });
      yield* Effect.promise(() => front.done);
      return team.status().escalated ? EXIT_ESCALATED : 0;
    }
    const running = startLocalConsole({
      team,
      queue: store.queue,
      queueLabel: store.label,
      drain,
      input: io.stdin,
      output: io.stdout,
      logger,
      drainTimeoutMs: config.drainTimeoutMs,
      human,
      notifier,
      onInterrupt: onSigint,
    });
    localConsole = running;
    // Only now: the console shows the events of tasks resumed from the queue too.
    worker.start();
    logger.log("info", "troupe started", {
      agents: team.status().agents.map((agent) => agent.name),
      http: http.url ?? null,
      store: store.kind,
      consumer: config.consumer,
    });
    yield* Effect.promise(() => running.done);
    return team.status().escalated ? EXIT_ESCALATED : 0;
  });

  const code = await Effect.runPromise(
    program.pipe(Effect.scoped, Effect.provide(hostLayer(config, logger))),
  );
  logger.log("info", "troupe stopped", { exitCode: code });
  return code;
};
