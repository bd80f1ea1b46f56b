// The host's resources as Effect services, each acquired and released in order: the team first
// (drained last), then its metrics, then the HTTP server (closed first). If the HTTP port cannot be
// taken the host logs why and runs on without HTTP, so HostHttp's url is then undefined.
import type { Logger, Team } from "@troupe/runtime";
import { createRuntimeMetrics, type RuntimeMetrics } from "@troupe/runtime/metrics";
import { Context, Effect, Layer } from "effect";
import type { HostConfig } from "../config/hostConfig.ts";
import { startHttpServer } from "../http/startHttpServer.ts";
import { createHostTeam } from "../team/createHostTeam.ts";

export class HostTeam extends Context.Service<HostTeam, Team>()("@troupe/host/HostTeam") {}

export class HostMetrics extends Context.Service<HostMetrics, RuntimeMetrics>()("@troupe/host/HostMetrics") {}

export class HostHttp extends Context.Service<HostHttp, { readonly url: string | undefined }>()(
  "@troupe/host/HostHttp",
) {}

const teamLayer = (config: HostConfig, logger: Logger) =>
  Layer.effect(
    HostTeam,
    Effect.acquireRelease(
      Effect.sync(() => createHostTeam({ logger })),
      // The console drains the team on a normal stop; this covers every other way out.
      (team) => Effect.promise(() => team.drain({ deadline: config.drainTimeoutMs })),
    ),
  );

const metricsLayer = Layer.effect(
  HostMetrics,
  Effect.gen(function* () {
    const team = yield* HostTeam;
    return yield* Effect.acquireRelease(
      Effect.sync(() => createRuntimeMetrics({ team })),
      (metrics) => Effect.sync(() => metrics.close()),
    );
  }),
);

const httpLayer = (config: HostConfig, logger: Logger) =>
  Layer.effect(
    HostHttp,
    Effect.gen(function* () {
      const team = yield* HostTeam;
      const metrics = yield* HostMetrics;
      const server = yield* Effect.acquireRelease(
        Effect.promise(() =>
          startHttpServer({ team, metrics, host: config.httpHost, port: config.httpPort }).then(
            (server) => {
              logger.log("info", "http listening", {
                url: server.url,
                endpoints: [`${server.url}/metrics`, `${server.url}/healthz`],
              });
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
      return { url: server?.url };
    }),
  );

/** Team, metrics and HTTP server for `troupe start`, released in reverse order. */
export const hostLayer = (config: HostConfig, logger: Logger) =>
  httpLayer(config, logger).pipe(
    Layer.provideMerge(metricsLayer),
    Layer.provideMerge(teamLayer(config, logger)),
  );
