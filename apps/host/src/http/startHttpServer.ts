// The host's HTTP server (node:http): GET /metrics for Prometheus, GET /healthz for whoever
// watches the process, and the statecharts visualizer under /inspect. Small on purpose; it only reads the team and the metrics registry.
// Every request passes the access check first (httpAccess.ts: the Host header, /inspect's token).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Team } from "@troupe/runtime";
import type { RuntimeMetrics } from "@troupe/runtime/metrics";
import { answeredByAccess, type HttpAccess, LOCAL_ACCESS } from "./httpAccess.ts";

export interface HttpServerOptions {
  readonly team: Team;
  readonly metrics: RuntimeMetrics;
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

/** The /healthz body: 200 while the team works, 503 once it escalated. */
export const healthOf = (team: Team): { status: number; body: Record<string, unknown> } => {
  const status = team.status();
  return {
    status: status.escalated ? 503 : 200,
    body: {
      status: status.escalated ? "escalated" : "ok",
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

const handle = async (options: HttpServerOptions, request: IncomingMessage, response: ServerResponse) => {
  if (answeredByAccess(options.access ?? LOCAL_ACCESS, request, response)) return;
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  if (options.inspect?.handle(request, response)) return;
  if (path !== "/metrics" && path !== "/healthz") {
    const paths = options.inspect ? "/metrics, /healthz or /inspect" : "/metrics or /healthz";
    return sendJson(response, 404, { error: `no such path ${path}; try ${paths}` });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("allow", "GET, HEAD");
    return sendJson(response, 405, { error: `${request.method} is not allowed on ${path}; use GET` });
  }
  if (path === "/healthz") {
    const health = healthOf(options.team);
    return sendJson(response, health.status, health.body);
  }
  const text = await options.metrics.metrics();
  response.writeHead(200, { "content-type": options.metrics.contentType, "cache-control": "no-store" });
  response.end(request.method === "HEAD" ? undefined : text);
};

const urlOf = (address: AddressInfo) =>
  `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

/** Listen on host:port; rejects with HttpListenError when it cannot (port in use, …). */
export const startHttpServer = (options: HttpServerOptions): Promise<RunningHttpServer> => {
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
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
