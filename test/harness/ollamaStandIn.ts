// A stand-in for an Ollama server, on 127.0.0.1 and a random port, speaking enough of Ollama's HTTP
// API for the real `ollama` client to be driven against it: chat and generate (streamed NDJSON or
// not, with tool calls and `format`), tags, show, ps, embed, version and pull (streamed progress).
// Tests script its answers, make it slow (per token), busy (503), forgetful (404 for a missing
// model) or broken (malformed or cut streams), and read the log of what it was asked.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted answer of /api/chat or /api/generate. */
export interface StandInReply {
  /** The answer's text, streamed word by word (unless `tokens` is given). */
  readonly content?: string;
  /** The pieces streamed, in order; the answer is their concatenation. */
  readonly tokens?: readonly string[];
  readonly thinking?: string;
  readonly toolCalls?: readonly { readonly name: string; readonly arguments: Record<string, unknown> }[];
  /** Answer with this HTTP status and `error` instead (e.g. 500 and "model runner crashed"). */
  readonly status?: number;
  readonly error?: string;
  /** Send a line that is not JSON after the first token (a broken body when not streamed). */
  readonly malformed?: boolean;
  /** Write each streamed line in three pieces (cut inside multi-byte characters too). */
  readonly fragmented?: boolean;
  /** End the stream without its final `done` line. */
  readonly truncate?: boolean;
  /** Stop after `holdAfter` tokens (default 0) until `hold` settles: a model that is still thinking. */
  readonly hold?: Promise<unknown>;
  readonly holdAfter?: number;
  /** Counts reported in the final line (default: words of the prompt, tokens of the answer). */
  readonly promptTokens?: number;
  readonly evalTokens?: number;
}

export type StandInAnswer = StandInReply | ((request: StandInRequest) => StandInReply);

export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  /** The parsed JSON body (undefined for GET). */
  readonly body: Record<string, unknown> | undefined;
  /** True once the client went away before the answer was complete. */
  readonly aborted: boolean;
  /** Settles when the answer ended: finished, or aborted by the client. */
  readonly closed: Promise<"finished" | "aborted">;
}

export interface OllamaStandInOptions {
  /** The models it has (default qwen3:8b and llama3.2:3b). */
  readonly models?: readonly string[];
  /** Delay before each streamed token and each pull progress line, in ms (default 0). */
  readonly tokenDelayMs?: number;
  /** Answers of /api/chat and /api/generate, in order; then `defaultReply`. */
  readonly replies?: readonly StandInAnswer[];
  /** The answer when no scripted one is left (default: "You said: <the last user message>"). */
  readonly defaultReply?: (request: StandInRequest) => StandInReply;
  /** Which names /api/pull can fetch (default every name). */
  readonly pullable?: (model: string) => boolean;
}

export interface OllamaStandIn {
  /** http://127.0.0.1:<port> — give it to the client or as OLLAMA_HOST. */
  readonly url: string;
  /** Every request, in order of arrival. */
  readonly requests: readonly StandInRequest[];
  /** The models it has now (pulls add to it). */
  readonly models: ReadonlySet<string>;
  /** Queue answers for the next chat/generate requests. */
  reply(...answers: readonly StandInAnswer[]): void;
  /** The next `count` chat, generate and embed requests answer 503 (server busy). */
  busy(count: number): void;
  /** Embed requests from now on get no answer until `until` settles (or the client goes away): a hung server. */
  holdEmbeds(until: Promise<unknown>): void;
  addModel(name: string): void;
  removeModel(name: string): void;
  setTokenDelay(ms: number): void;
  /** The requests to one path ("/api/chat"). */
  requestsTo(path: string): readonly StandInRequest[];
  /** The first request (already received or still to come) that matches; fails after `timeoutMs` (5 s). */
  waitForRequest(match: (request: StandInRequest) => boolean, timeoutMs?: number): Promise<StandInRequest>;
  close(): Promise<void>;
}

const full = (name: string) => (name.includes(":") ? name : `${name}:latest`);
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const digestOf = (text: string) => createHash("sha256").update(text).digest("hex");
const now = () => new Date().toISOString();

const splitTokens = (text: string): string[] => text.match(/\s*\S+\s*/g) ?? (text === "" ? [] : [text]);

const lastUserText = (body: Record<string, unknown> | undefined): string => {
  if (typeof body?.prompt === "string") return body.prompt;
  const messages = Array.isArray(body?.messages)
    ? (body.messages as { role?: string; content?: string }[])
    : [];
  return [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
};

const promptWords = (body: Record<string, unknown> | undefined): number => {
  if (typeof body?.prompt === "string") return words(body.prompt);
  const messages = Array.isArray(body?.messages) ? (body.messages as { content?: string }[]) : [];
  return messages.reduce((sum, message) => sum + words(String(message.content ?? "")), 0);
};

const embedding = (text: string, dimensions = 8): number[] => {
  const bytes = createHash("sha256").update(text).digest();
  const raw = Array.from({ length: dimensions }, (_, index) => bytes[index]! / 255 - 0.5);
  const norm = Math.hypot(...raw) || 1;
  return raw.map((value) => value / norm);
};

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });

export const startOllamaStandIn = async (options: OllamaStandInOptions = {}): Promise<OllamaStandIn> => {
  const models = new Set((options.models ?? ["qwen3:8b", "llama3.2:3b"]).map(full));
  const loaded = new Set<string>();
  const queue: StandInAnswer[] = [...(options.replies ?? [])];
  const requests: StandInRequest[] = [];
  const watchers = new Set<(request: StandInRequest) => void>();
  let tokenDelayMs = options.tokenDelayMs ?? 0;
  let busyLeft = 0;
  let embedHold: Promise<unknown> | undefined;
  const defaultReply =
    options.defaultReply ??
    ((request: StandInRequest): StandInReply => ({ content: `You said: ${lastUserText(request.body)}` }));
  const pullable = options.pullable ?? (() => true);

  const delay = (response: ServerResponse) =>
    new Promise<void>((resolve) => {
      if (tokenDelayMs <= 0) {
        setImmediate(resolve);
        return;
      }
      const timer = setTimeout(resolve, tokenDelayMs);
      response.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });

  const json = (response: ServerResponse, status: number, value: unknown) => {
    response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    response.end(JSON.stringify(value));
  };
  const missing = (response: ServerResponse, model: string) =>
    json(response, 404, { error: `model "${model}" not found, try pulling it first` });

  const modelEntry = (name: string) => ({
    name,
    model: name,
    modified_at: "2025-01-01T00:00:00Z",
    size: 1_000_000 + words(name),
    digest: digestOf(name),
    details: {
      parent_model: "",
      format: "gguf",
      family: name.split(/[:.\d]/)[0] ?? "standin",
      families: [name.split(/[:.\d]/)[0] ?? "standin"],
      parameter_size: "1B",
      quantization_level: "Q4_K_M",
    },
  });

  /** Answer 503 while busy and 404 for a model it does not have; otherwise load the model and go on. */
  const admit = (model: string, response: ServerResponse): boolean => {
    if (busyLeft > 0) {
      busyLeft -= 1;
      json(response, 503, { error: "server busy, please try again.  maximum pending requests exceeded" });
      return false;
    }
    if (!models.has(full(model))) {
      missing(response, model);
      return false;
    }
    loaded.add(full(model));
    return true;
  };

  const chatLike = async (kind: "chat" | "generate", logged: StandInRequest, response: ServerResponse) => {
    const body = logged.body ?? {};
    const model = typeof body.model === "string" ? body.model : "";
    if (!admit(model, response)) return;
    const answer = queue.shift() ?? defaultReply;
    const reply = typeof answer === "function" ? answer(logged) : answer;
    if (reply.status !== undefined) {
      json(response, reply.status, { error: reply.error ?? "scripted failure" });
      return;
    }
    const tokens = reply.tokens ? [...reply.tokens] : splitTokens(reply.content ?? "");
    const content = tokens.join("");
    const toolCalls = (reply.toolCalls ?? []).map((call) => ({
      function: { name: call.name, arguments: call.arguments },
    }));
    const promptTokens = reply.promptTokens ?? promptWords(body);
    const evalTokens = reply.evalTokens ?? tokens.length;
    const final = {
      model,
      created_at: now(),
      ...(kind === "chat" ? { message: { role: "assistant", content: "" } } : { response: "" }),
      done: true,
      done_reason: "stop",
      total_duration: (promptTokens + evalTokens) * 1_000_000 + 500_000,
      load_duration: 500_000,
      prompt_eval_count: promptTokens,
      prompt_eval_duration: promptTokens * 1_000_000,
      eval_count: evalTokens,
      eval_duration: evalTokens * 1_000_000,
    };
    const holdAfter = reply.holdAfter ?? 0;
    const closed = () => response.destroyed || response.writableEnded;

    if (body.stream === false) {
      for (let index = 0; index < tokens.length; index += 1) {
        if (index === holdAfter && reply.hold) await reply.hold.catch(() => undefined);
        await delay(response);
        if (closed()) return;
      }
      if (reply.malformed) {
        response.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        response.end('{"model": "broken');
        return;
      }
      json(response, 200, {
        ...final,
        ...(kind === "chat"
          ? {
              message: {
                role: "assistant",
                content,
                ...(reply.thinking ? { thinking: reply.thinking } : {}),
                ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
              },
            }
          : { response: content }),
      });
      return;
    }

    response.writeHead(200, { "content-type": "application/x-ndjson" });
    const line = async (value: unknown) => {
      const bytes = Buffer.from(`${JSON.stringify(value)}\n`);
      if (!reply.fragmented) {
        response.write(bytes);
        return;
      }
      // In three writes, cut anywhere (inside a multi-byte character too), each on its own turn.
      const cuts = [0, Math.ceil(bytes.length / 3), Math.ceil((2 * bytes.length) / 3), bytes.length];
      for (let index = 0; index < 3; index += 1) {
        response.write(bytes.subarray(cuts[index], cuts[index + 1]));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    const piece = (text: string, extra: Record<string, unknown> = {}) =>
      kind === "chat"
        ? { model, created_at: now(), message: { role: "assistant", content: text, ...extra }, done: false }
        : { model, created_at: now(), response: text, done: false };
    if (reply.thinking) await line(piece("", { thinking: reply.thinking }));
    for (let index = 0; index < tokens.length; index += 1) {
      if (index === holdAfter && reply.hold) await reply.hold.catch(() => undefined);
      await delay(response);
      if (closed()) return;
      await line(piece(tokens[index]!));
      if (index === 0 && reply.malformed) response.write("{this is not json\n");
    }
    if (holdAfter >= tokens.length && reply.hold) await reply.hold.catch(() => undefined);
    if (closed()) return;
    if (toolCalls.length > 0) await line(piece("", { tool_calls: toolCalls }));
    if (reply.truncate) {
      response.end();
      return;
    }
    await line(final);
    response.end();
  };

  const pull = async (logged: StandInRequest, response: ServerResponse) => {
    const body = logged.body ?? {};
    const model = String(body.model ?? body.name ?? "");
    const ok = pullable(model);
    const layer = digestOf(model).slice(0, 12);
    const total = 4_000;
    if (body.stream === false) {
      if (!ok) {
        json(response, 500, { error: "pull model manifest: file does not exist" });
        return;
      }
      models.add(full(model));
      json(response, 200, { status: "success" });
      return;
    }
    response.writeHead(200, { "content-type": "application/x-ndjson" });
    const line = (value: unknown) => response.write(`${JSON.stringify(value)}\n`);
    line({ status: "pulling manifest" });
    await delay(response);
    if (!ok) {
      line({ error: "pull model manifest: file does not exist" });
      response.end();
      return;
    }
    for (let completed = 0; completed <= total; completed += total / 4) {
      if (response.destroyed) return;
      line({ status: `pulling ${layer}`, digest: `sha256:${digestOf(model)}`, total, completed });
      await delay(response);
    }
    for (const status of ["verifying sha256 digest", "writing manifest"]) line({ status });
    models.add(full(model));
    line({ status: "success" });
    response.end();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://standin").pathname;
    const text = request.method === "POST" || request.method === "DELETE" ? await readBody(request) : "";
    let body: Record<string, unknown> | undefined;
    if (text !== "") {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json(response, 400, { error: "invalid character in request body" });
        return;
      }
    }
    let settle: (how: "finished" | "aborted") => void = () => {};
    const logged = {
      method: request.method ?? "GET",
      path,
      body,
      aborted: false,
      closed: new Promise<"finished" | "aborted">((resolve) => {
        settle = resolve;
      }),
    };
    response.once("close", () => {
      logged.aborted = !response.writableFinished;
      settle(logged.aborted ? "aborted" : "finished");
    });
    requests.push(logged);
    for (const watcher of watchers) watcher(logged);

    const model = typeof body?.model === "string" ? body.model : "";
    switch (`${request.method} ${path}`) {
      case "GET /api/tags":
        json(response, 200, { models: [...models].map(modelEntry) });
        return;
      case "GET /api/ps":
        json(response, 200, {
          models: [...loaded].map((name) => ({
            ...modelEntry(name),
            expires_at: "2099-01-01T00:00:00Z",
            size_vram: 0,
          })),
        });
        return;
      case "GET /api/version":
        json(response, 200, { version: "0.0.0-standin" });
        return;
      case "POST /api/show":
        if (!models.has(full(model))) {
          json(response, 404, { error: `model '${model}' not found` });
          return;
        }
        json(response, 200, {
          license: "",
          modelfile: `FROM ${model}`,
          parameters: "",
          template: "{{ .Prompt }}",
          details: modelEntry(full(model)).details,
          model_info: { "general.architecture": "standin", "standin.context_length": 8192 },
          capabilities: ["completion", "tools"],
        });
        return;
      case "POST /api/embed": {
        if (!admit(model, response)) return;
        if (embedHold) {
          const gone = new Promise((resolve) => response.once("close", resolve));
          await Promise.race([embedHold.catch(() => undefined), gone]);
          if (response.destroyed) return;
        }
        const input = body?.input;
        const texts = Array.isArray(input) ? input.map(String) : [String(input ?? "")];
        json(response, 200, {
          model,
          embeddings: texts.map((item) =>
            embedding(item, typeof body?.dimensions === "number" ? body.dimensions : 8),
          ),
          total_duration: 1_000_000,
          load_duration: 0,
          prompt_eval_count: texts.reduce((sum, item) => sum + words(item), 0),
        });
        return;
      }
      case "POST /api/chat":
        return chatLike("chat", logged, response);
      case "POST /api/generate":
        return chatLike("generate", logged, response);
      case "POST /api/pull":
        return pull(logged, response);
      default:
        response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
        response.end("404 page not found");
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) json(response, 500, { error: String(error) });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    models,
    reply: (...answers) => {
      queue.push(...answers);
    },
    busy: (count) => {
      busyLeft = count;
    },
    holdEmbeds: (until) => {
      embedHold = until;
    },
    addModel: (name) => {
      models.add(full(name));
    },
    removeModel: (name) => {
      models.delete(full(name));
    },
    setTokenDelay: (ms) => {
      tokenDelayMs = ms;
    },
    requestsTo: (path) => requests.filter((request) => request.path === path),
    waitForRequest: (match, timeoutMs = 5_000) => {
      const found = requests.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(watcher);
          reject(
            new Error(
              `no matching request within ${timeoutMs}ms; seen: ${requests.map((r) => r.path).join(", ")}`,
            ),
          );
        }, timeoutMs);
        const watcher = (request: StandInRequest) => {
          if (!match(request)) return;
          clearTimeout(timer);
          watchers.delete(watcher);
          resolve(request);
        };
        watchers.add(watcher);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
