// The host's HTTP server (node:http): GET /metrics for Prometheus, GET /healthz and /readyz for
// whoever watches the process (each part's health from HealthChecks, see docs/observability.md), and
// the statecharts visualizer under /inspect. Small on purpose; it only reads what it is given.
// Every request passes the access check first (httpAccess.ts: the Host header, /inspect's token).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Team } from "@troupe/runtime";
import type { RuntimeMetrics } from "@troupe/runtime/metrics";
import { HealthChecks, teamHealth } from "../health/HealthChecks.ts";
import { answeredByAccess, type HttpAccess, LOCAL_ACCESS } from "./httpAccess.ts";

export interface HttpServerOptions {
  readonly team: Team;
  readonly metrics: RuntimeMetrics;
  /** Each part's health, for /healthz and /readyz (default: the team's alone). */
  readonly health?: HealthChecks;
  /** Why the host takes no work now (not started yet, stopping), or undefined when it does. */
  readonly notReady?: () => string | undefined;
  readonly host: string;
  /** 0 picks any free port; `url` says which. */
  readonly port: number;
  /** The statecharts visualizer, served under /inspect when given. */
  readonly inspect?: { handle(request: IncomingMessage, response: ServerResponse): boolean };
  /** Allowed Host names and /inspect's token (default: loopback names and IP addresses, no token). */
  readonly access?: HttpAccess;
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string;
  /** Stop listening and close open connections. */
  close(): Promise<void>;
}

/** The server could not listen; `code` is Node's (EADDRINUSE, EACCES, …). */
export class HttpListenError extends Error {
  readonly code: string | undefined;

  constructor(address: string, cause: NodeJS.ErrnoException) {
    const why =
      cause.code === "EADDRINUSE"
        ? "the port is in use"
        : cause.code === "EACCES"
          ? "permission denied"
          : cause.code === "EADDRNOTAVAIL"
            ? "the address is not on this machine"
            : cause.message;
    super(`cannot listen on ${address}: ${why}${cause.code ? ` (${cause.code})` : ""}`, { cause });
    this.name = "HttpListenError";
    this.code = cause.code;
  }
}

const sendJson = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  response.end(`${JSON.stringify(body)}\n`);
};

const PATHS = ["/metrics", "/healthz", "/readyz"];

/**
 * The /healthz and /readyz answer: the same body for both; /healthz is 503 while a part the host
 * needs is down, /readyz also while the host takes no work (starting, stopping).
 */
export const healthAnswer = async (
  team: Team,
  health: HealthChecks,
  notReady: string | undefined,
): Promise<{ healthz: number; readyz: number; body: Record<string, unknown> }> => {
  const report = await health.report();
  const status = team.status();
  const healthy = report.status !== "unavailable";
  return {
    healthz: healthy ? 200 : 503,
    readyz: healthy && notReady === undefined ? 200 : 503,
    body: {
      status: report.status,
      ready: healthy && notReady === undefined,
      reasons: notReady === undefined ? report.reasons : [...report.reasons, `host: ${notReady}`],
      components: report.components,
      accepting: status.accepting,
      queued: status.queued,
      inFlight: status.inFlight,
      agents: status.agents.map((agent) => ({
        name: agent.name,
        state: agent.state,
        breaker: agent.breaker,
        queue: agent.queue,
        restarts: agent.restarts,
      })),
    },
  };
};

const handle = async (
  options: HttpServerOptions,
  health: HealthChecks,
  request: IncomingMessage,
  response: ServerResponse,
) => {
  if (answeredByAccess(options.access ?? LOCAL_ACCESS, request, response)) return;
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  if (options.inspect?.handle(request, response)) return;
  if (!PATHS.includes(path)) {
    const paths = options.inspect
      ? "/metrics, /healthz, /readyz or /inspect"
      : "/metrics, /healthz or /readyz";
    return sendJson(response, 404, { error: `no such path ${path}; try ${paths}` });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("allow", "GET, HEAD");
    return sendJson(response, 405, { error: `${request.method} is not allowed on ${path}; use GET` });
  }
  if (path === "/healthz" || path === "/readyz") {
    const answer = await healthAnswer(options.team, health, options.notReady?.());
    return sendJson(response, path === "/healthz" ? answer.healthz : answer.readyz, answer.body);
  }
  const text = await options.metrics.metrics();
  response.writeHead(200, { "content-type": options.metrics.contentType, "cache-control": "no-store" });
  response.end(request.method === "HEAD" ? undefined : text);
};

const teamOnly = (team: Team) => {
  const health = new HealthChecks();
  health.register("team", teamHealth(team));
  return health;
};

const urlOf = (address: AddressInfo) =>
  `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

/** Listen on host:port; rejects with HttpListenError when it cannot (port in use, …). */
export const startHttpServer = (options: HttpServerOptions): Promise<RunningHttpServer> => {
  const health = options.health ?? teamOnly(options.team);
  const server = createServer((request, response) => {
    handle(options, health, request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) });
      else response.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(new HttpListenError(`${options.host}:${options.port}`, error));
    server.once("error", onError);
    server.listen(options.port, options.host, () => {
      server.off("error", onError);
      const url = urlOf(server.address() as AddressInfo);
      let closing: Promise<void> | undefined;
      resolve({
        url,
        close: () => {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
};
