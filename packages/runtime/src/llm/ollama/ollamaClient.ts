// One `ollama` client per host, with a fetch of our own underneath. The client's `abort()` stops
// every stream on it, so instead each call runs with its own AbortSignal (carried to our fetch in
// an AsyncLocalStorage): cancelling one call closes that call's HTTP request and nothing else, at
// any stage — waiting for the model to load, or mid-stream. The fetch also keeps the library from
// printing: a non-JSON error body is turned into Ollama's JSON error shape, and a streamed line
// that is not JSON becomes an error line (the library would print a warning and skip it).
import { AsyncLocalStorage } from "node:async_hooks";
import type { Ollama as OllamaClient } from "ollama";
import type { TroupeError } from "../../errors/TroupeError.ts";
import { importPeer } from "../../internal/importPeer.ts";

// ollama is the optional peer dependency of @troupe/runtime/ollama: without it the entry fails with
// one line naming the package.
const { Ollama } = await importPeer("@troupe/runtime/ollama", "ollama", () => import("ollama"));

/** Prefix of the error the library raises for a streamed line that was not JSON. */
export const MALFORMED_LINE = "troupe: malformed line in Ollama's stream: ";

const callSignal = new AsyncLocalStorage<AbortSignal>();

/** Run `work` (calls on an `ollamaClient`) so that its requests are aborted with `signal`. */
export const withSignal = <T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> =>
  callSignal.run(signal, work);

/**
 * A call's signal with a deadline: aborted with `reason()` after `ms` (`reset` starts the wait again,
 * for calls that show progress), or with the caller's `signal`; `clear` once the call is over.
 */
export const deadlineSignal = (
  ms: number,
  signal: AbortSignal | undefined,
  reason: () => TroupeError,
): { signal: AbortSignal; reset(): void; clear(): void } => {
  const timeout = new AbortController();
  let timer = setTimeout(() => timeout.abort(reason()), ms);
  return {
    signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal,
    reset() {
      clearTimeout(timer);
      timer = setTimeout(() => timeout.abort(reason()), ms);
    },
    clear: () => clearTimeout(timer),
  };
};

const NEWLINE = 0x0a;

const parses = (line: string): boolean => {
  if (line.trim() === "") return true;
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
};

const errorLine = (line: string): string => {
  const shown = line.length > 80 ? `${line.slice(0, 80)}…` : line;
  return JSON.stringify({ error: `${MALFORMED_LINE}${shown}` });
};

// One pass over the bytes, pulled straight from the response's reader: complete lines go through
// untouched when they parse (the usual case, so the first token is not delayed), a line that does
// not parse is replaced by an error line.
const jsonLines = (body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> => {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending: Uint8Array | undefined;
  const checked = (bytes: Uint8Array): Uint8Array => {
    const lines = decoder.decode(bytes).split("\n");
    return lines.every(parses)
      ? bytes
      : encoder.encode(lines.map((line) => (parses(line) ? line : errorLine(line))).join("\n"));
  };
  const join = (head: Uint8Array, tail: Uint8Array) => {
    const joined = new Uint8Array(head.length + tail.length);
    joined.set(head);
    joined.set(tail, head.length);
    return joined;
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            if (pending) controller.enqueue(checked(pending));
            controller.close();
            return;
          }
          const last = value.lastIndexOf(NEWLINE);
          if (last === -1) {
            pending = pending ? join(pending, value) : value;
            continue;
          }
          const head = value.subarray(0, last + 1);
          const complete = pending ? join(pending, head) : head;
          pending = last + 1 < value.length ? value.slice(last + 1) : undefined;
          controller.enqueue(checked(complete));
          return;
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
};

const ollamaFetch: typeof fetch = async (input, init) => {
  const own = callSignal.getStore();
  const signal = own && init?.signal ? AbortSignal.any([own, init.signal]) : (own ?? init?.signal);
  const response = await fetch(input, signal ? { ...init, signal } : init);
  const type = response.headers.get("content-type") ?? "";
  if (!response.ok && !type.includes("application/json")) {
    const text = (await response.text().catch(() => "")).trim();
    return Response.json(
      { error: text.slice(0, 200) || `HTTP ${response.status} ${response.statusText}` },
      { status: response.status, statusText: response.statusText },
    );
  }
  if (response.ok && response.body && type.includes("application/x-ndjson")) {
    return new Response(jsonLines(response.body), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
  return response;
};

const clients = new Map<string, OllamaClient>();

/** The client of a host (a normalised URL, see `normalizeOllamaHost`), created once. */
export const ollamaClient = (host: string): OllamaClient => {
  let client = clients.get(host);
  if (!client) {
    client = new Ollama({ host, fetch: ollamaFetch });
    clients.set(host, client);
  }
  return client;
};
