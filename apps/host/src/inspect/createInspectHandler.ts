// The visualizer's HTTP routes, mounted under /inspect by the host's HTTP server and by
// `troupe inspect`: the page, its script (bundled on first request), the records as Server-Sent
// Events (backfill from a seq, then live), chart layouts by machine hash and, on the live page,
// where a task's replay starts (its root task and trace file). Read-only: nothing here can change
// the team.
import type { IncomingMessage, ServerResponse } from "node:http";
import { bundlePage } from "./bundlePage.ts";
import { type ChartLayouts, createChartLayouts } from "./ChartLayouts.ts";
import { type InspectSource, seqOfLine } from "./InspectSource.ts";
import { inspectPageHtml } from "./inspectPageHtml.ts";

export interface InspectHandler {
  /** Serve a request under /inspect; false when the path is not the visualizer's. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** End open streams and stop the layout worker. */
  close(): Promise<void>;
}

export interface InspectHandlerOptions {
  readonly source: InspectSource;
  /** Layout service (default: a new one, closed with the handler). */
  readonly layouts?: ChartLayouts;
  /** How often live records are sent, batched (default 50 ms). */
  readonly flushEveryMs?: number;
}

/** Lines per SSE message during backfill. */
const BATCH = 2_000;

// Everything the page loads comes from this server; the browser refuses anything else.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const send = (response: ServerResponse, status: number, type: string, body: string) => {
  response.writeHead(status, { "content-type": type, "cache-control": "no-store", ...SECURITY_HEADERS });
  response.end(body);
};

const sendError = (response: ServerResponse, status: number, message: string) =>
  send(response, status, "application/json; charset=utf-8", `${JSON.stringify({ error: message })}\n`);

export const createInspectHandler = (options: InspectHandlerOptions): InspectHandler => {
  const { source } = options;
  const layouts = options.layouts ?? createChartLayouts();
  const flushEveryMs = options.flushEveryMs ?? 50;
  const streams = new Set<ServerResponse>();

  const stream = (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const lastEventId = Number(request.headers["last-event-id"] ?? Number.NaN);
    const after = Number.isFinite(lastEventId)
      ? lastEventId
      : Number(url.searchParams.get("after") ?? 0) || 0;
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      ...SECURITY_HEADERS,
    });
    streams.add(response);
    const message = (event: string, data: string, id?: number) =>
      response.write(`${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${data}\n\n`);
    // Subscribe before reading the backfill, so nothing made in between is lost.
    let live: string[] = [];
    let liveLast = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sentUpTo = after;
    const flush = () => {
      timer = undefined;
      if (live.length === 0) return;
      const lines = live;
      live = [];
      sentUpTo = liveLast;
      message("records", `[${lines.join(",")}]`, liveLast);
    };
    const unsubscribe = source.subscribe((line, seq) => {
      if (seq <= sentUpTo) return;
      live.push(line);
      liveLast = seq;
      timer ??= setTimeout(flush, flushEveryMs);
    });
    message(
      "hello",
      JSON.stringify({
        mode: source.mode,
        title: source.title,
        run: source.run,
        notice: source.notice,
        replay: source.replay,
      }),
    );
    const backfill = source.backfill(after);
    for (let start = 0; start < backfill.length; start += BATCH) {
      const chunk = backfill.slice(start, start + BATCH);
      let last = sentUpTo;
      for (const line of chunk) last = Math.max(last, seqOfLine(line));
      sentUpTo = last;
      message("records", `[${chunk.join(",")}]`, last);
    }
    // Live lines that the backfill already carried are dropped.
    live = live.filter((line) => seqOfLine(line) > sentUpTo);
    message(source.mode === "trace" ? "end" : "ready", JSON.stringify({ seq: sentUpTo }));
    const keepAlive = setInterval(() => response.write(": keep-alive\n\n"), 15_000);
    keepAlive.unref();
    const stop = () => {
      unsubscribe();
      clearInterval(keepAlive);
      if (timer !== undefined) clearTimeout(timer);
      streams.delete(response);
    };
    request.on("close", stop);
    response.on("close", stop);
  };

  const layout = (response: ServerResponse, hash: string) => {
    const graph = source.machine(hash);
    if (!graph) return sendError(response, 404, `no machine with hash ${hash}`);
    layouts.layout(hash, graph).then(
      (chart) => send(response, 200, "application/json; charset=utf-8", JSON.stringify(chart)),
      (error: unknown) => sendError(response, 500, error instanceof Error ? error.message : String(error)),
    );
  };

  const replayTarget = (response: ServerResponse, encoded: string) => {
    let taskId: string;
    try {
      taskId = decodeURIComponent(encoded);
    } catch {
      return sendError(response, 400, `not a task id: ${encoded}`);
    }
    const target = source.replayTargetOf?.(taskId);
    if (target) return send(response, 200, "application/json; charset=utf-8", JSON.stringify(target));
    sendError(
      response,
      404,
      source.replayTargetOf
        ? `task ${taskId} is in none of this host's trace files (it records none with TROUPE_TRACE_DIR=off; a task another host ran is in that host's trace): it cannot be replayed from here`
        : "a recorded trace's page has its replay commands in its stream",
    );
  };

  const script = (response: ServerResponse) => {
    bundlePage().then(
      (code) => send(response, 200, "text/javascript; charset=utf-8", code),
      (error: unknown) =>
        sendError(
          response,
          503,
          `the visualizer page could not be bundled (esbuild is a dev dependency): ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
  };

  return {
    handle(request, response) {
      const url = new URL(request.url ?? "/", "http://localhost");
      const path = url.pathname;
      if (path !== "/inspect" && !path.startsWith("/inspect/")) return false;
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.setHeader("allow", "GET, HEAD");
        sendError(response, 405, `${request.method} is not allowed on ${path}; use GET`);
        return true;
      }
      if (path === "/inspect" || path === "/inspect/") {
        send(response, 200, "text/html; charset=utf-8", inspectPageHtml(source.title));
      } else if (path === "/inspect/page.js") script(response);
      else if (path === "/inspect/api/stream") stream(request, response, url);
      else if (path.startsWith("/inspect/api/layout/"))
        layout(response, path.slice("/inspect/api/layout/".length));
      else if (path.startsWith("/inspect/api/replay/"))
        replayTarget(response, path.slice("/inspect/api/replay/".length));
      else sendError(response, 404, `no such path ${path}`);
      return true;
    },
    async close() {
      for (const response of streams) response.end();
      streams.clear();
      if (!options.layouts) await layouts.close();
    },
  };
};
