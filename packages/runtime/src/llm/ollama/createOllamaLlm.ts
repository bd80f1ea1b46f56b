// The Ollama adapter of the `Llm` port, on the `ollama` package: the model of a role (MODEL_<ROLE>),
// every answer streamed (tokens reach `onToken` as they come), a deadline per call (the role's
// MODEL_TIMEOUT_<ROLE> or MODEL_TIMEOUT unless the code gives one), cancellation
// of this call only, a server that answers 503 retried with backoff, and every failure turned into
// a TroupeError that says what to do. Each call is counted in the metrics hook by role and model.
import { setTimeout as sleep } from "node:timers/promises";
import type { ChatRequest, ChatResponse, Message, Tool } from "ollama";
import { TroupeError } from "../../errors/TroupeError.ts";
import { type Logger, silentLogger } from "../../log/Logger.ts";
import { type Duration, formatMillis, toMillis } from "../../time/duration.ts";
import { createLlm } from "../createLlm.ts";
import type {
  ChatMessage,
  ChatOptions,
  ChatReply,
  Llm,
  LlmMetricsHook,
  LlmOutcome,
  LlmUsage,
  ToolCall,
} from "../Llm.ts";
import { modelVariable, normalizeOllamaHost, resolveModel, resolveOllamaHost } from "../modelRoles.ts";
import { modelTimeoutAdvice, resolveModelTimeout } from "../modelTimeouts.ts";
import { ollamaClient, withSignal } from "./ollamaClient.ts";
import { outcomeOf, statusOf, toModelError } from "./toModelError.ts";

export interface OllamaLlmOptions {
  /** Where Ollama listens; OLLAMA_HOST from `env`, else http://127.0.0.1:11434, when absent. */
  readonly host?: string;
  /** The role whose model to use, resolved from MODEL_<ROLE> (see `resolveModel`). */
  readonly role?: string;
  /** The model to use, whatever the role says. One of `role` and `model` is needed. */
  readonly model?: string;
  /** Where MODEL_<ROLE>, MODEL_TIMEOUT* and OLLAMA_HOST are read (process.env by default). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * How long one call may take in all, unless the call says otherwise (default: MODEL_TIMEOUT_<ROLE>,
   * else MODEL_TIMEOUT, else 5m).
   */
  readonly deadline?: Duration;
  /** A busy server (503) is asked again `attempts` times (default 3), backing off from `base` to `max`. */
  readonly busyRetry?: { readonly attempts?: number; readonly base?: Duration; readonly max?: Duration };
  /** How long Ollama keeps the model loaded after a call (its own default when absent). */
  readonly keepAlive?: string | number;
  /** For reasoning models: whether to think first (the model's default when absent). */
  readonly think?: boolean;
  readonly metrics?: LlmMetricsHook;
  readonly logger?: Logger;
  /**
   * The context Ollama gives the model, in tokens: prompts beyond it are cut with a note instead of
   * being sent (default: OLLAMA_CONTEXT_LENGTH, the server's own setting, else 4096).
   */
  readonly contextTokens?: number;
}

/** Ollama's default context when OLLAMA_CONTEXT_LENGTH is not set. */
export const DEFAULT_CONTEXT_TOKENS = 4096;

export interface OllamaLlm extends Llm {
  /** The Ollama server's URL. */
  readonly host: string;
}

const toOllamaMessage = (message: ChatMessage): Message => ({
  role: message.role,
  content: message.content,
  ...(message.toolCalls
    ? {
        tool_calls: message.toolCalls.map((call) => ({
          function: { name: call.name, arguments: { ...call.arguments } },
        })),
      }
    : {}),
  ...(message.toolName ? { tool_name: message.toolName } : {}),
});

const malformed = (what: string) => new SyntaxError(`unexpected ${what} in the answer`);

const usageOf = (final: ChatResponse): LlmUsage => ({
  promptTokens: final.prompt_eval_count ?? 0,
  evalTokens: final.eval_count ?? 0,
  promptMs: (final.prompt_eval_duration ?? 0) / 1e6,
  evalMs: (final.eval_duration ?? 0) / 1e6,
});

export const createOllamaLlm = (options: OllamaLlmOptions): OllamaLlm => {
  const env = options.env ?? process.env;
  if (options.role === undefined && options.model === undefined) {
    throw new TroupeError(
      "InvalidAgent",
      "createOllamaLlm needs a `role` (its model comes from MODEL_<ROLE>) or a `model`",
    );
  }
  const role = options.role;
  const model = options.model ?? resolveModel(role!, env).model;
  const host =
    options.host === undefined ? resolveOllamaHost(env).url : normalizeOllamaHost(options.host, "host");
  const client = ollamaClient(host);
  const adapterDeadline =
    options.deadline === undefined
      ? resolveModelTimeout(role, env)
      : { ms: toMillis(options.deadline, "deadline"), source: "deadline" };
  const retries = options.busyRetry?.attempts ?? 3;
  const baseMs = toMillis(options.busyRetry?.base ?? "500ms", "busyRetry.base");
  const maxMs = toMillis(options.busyRetry?.max ?? "5s", "busyRetry.max");
  const logger = options.logger ?? silentLogger;
  const context = { host, model, role, operation: "chat" } as const;

  const once = async (
    messages: readonly ChatMessage[],
    call: ChatOptions,
    signal: AbortSignal,
  ): Promise<ChatReply> => {
    const request: ChatRequest & { stream: true } = {
      model,
      messages: messages.map(toOllamaMessage),
      stream: true,
      ...(call.format ? { format: call.format } : {}),
      ...(call.tools && call.tools.length > 0
        ? {
            tools: call.tools.map(
              (tool): Tool => ({
                type: "function",
                function: {
                  name: tool.name,
                  description: tool.description,
                  parameters: tool.parameters as Tool["function"]["parameters"],
                },
              }),
            ),
          }
        : {}),
      ...(call.temperature === undefined ? {} : { options: { temperature: call.temperature } }),
      ...(options.keepAlive === undefined ? {} : { keep_alive: options.keepAlive }),
      ...(options.think === undefined ? {} : { think: options.think }),
    };
    return withSignal(signal, async () => {
      const stream = await client.chat(request);
      let content = "";
      let thinking = "";
      const toolCalls: ToolCall[] = [];
      let final: ChatResponse | undefined;
      for await (const part of stream) {
        if (typeof part !== "object" || part === null) throw malformed("value");
        const message = part.message as Partial<Message> | undefined;
        if (typeof message?.content === "string" && message.content !== "") {
          content += message.content;
          call.onToken?.(message.content);
        }
        if (typeof message?.thinking === "string") thinking += message.thinking;
        for (const toolCall of message?.tool_calls ?? []) {
          const name = toolCall?.function?.name;
          if (typeof name !== "string") throw malformed("tool call");
          toolCalls.push({ name, arguments: toolCall.function.arguments ?? {} });
        }
        if (part.done) final = part;
      }
      if (!final) throw malformed("end of stream");
      return {
        content,
        toolCalls,
        usage: usageOf(final),
        model: typeof final.model === "string" ? final.model : model,
        ...(thinking === "" ? {} : { thinking }),
      };
    });
  };

  const chat = async (messages: readonly ChatMessage[], call: ChatOptions = {}): Promise<ChatReply> => {
    const startedAt = performance.now();
    const deadline =
      call.deadline === undefined
        ? adapterDeadline
        : { ms: toMillis(call.deadline, "deadline"), source: "call" };
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(timeoutError(deadline.ms, deadline.source)), deadline.ms);
    // Our own controller too: leaving early (onToken threw) must close this call's HTTP request.
    const local = new AbortController();
    const signal = AbortSignal.any(
      call.signal ? [call.signal, timeout.signal, local.signal] : [timeout.signal, local.signal],
    );
    let callbackFailure: { readonly error: unknown } | undefined;
    const onToken =
      call.onToken &&
      ((token: string) => {
        try {
          call.onToken!(token);
        } catch (error) {
          callbackFailure = { error };
          throw error;
        }
      });
    let outcome: LlmOutcome = "ok";
    let usage: LlmUsage | undefined;
    try {
      for (let attempt = 0; ; attempt += 1) {
        try {
          if (signal.aborted) throw signal.reason;
          const reply = await once(messages, { ...call, onToken }, signal);
          usage = reply.usage;
          return reply;
        } catch (error) {
          if (signal.aborted || statusOf(error) !== 503 || attempt >= retries) throw error;
          const exponential = Math.min(maxMs, baseMs * 2 ** attempt);
          const delayMs = exponential / 2 + Math.random() * (exponential / 2);
          logger.log("warn", "model server busy, asking again", {
            host,
            model,
            role,
            attempt: attempt + 1,
            delayMs: Math.round(delayMs),
          });
          await sleep(delayMs, undefined, { signal });
        }
      }
    } catch (error) {
      const failure = callbackFailure
        ? callbackFailure.error
        : signal.aborted
          ? abortError(signal.reason, error)
          : toModelError(error, { ...context, retries });
      outcome = callbackFailure ? "cancelled" : outcomeOf(failure);
      local.abort();
      throw failure;
    } finally {
      clearTimeout(timer);
      const durationMs = performance.now() - startedAt;
      options.metrics?.observe({ role, model, outcome, durationMs, ...(usage ? { usage } : {}) });
      logger.log("debug", "model call", {
        host,
        model,
        role,
        outcome,
        durationMs: Math.round(durationMs),
        ...(usage ? { promptTokens: usage.promptTokens, evalTokens: usage.evalTokens } : {}),
      });
    }
  };

  const timeoutError = (deadlineMs: number, source: string) =>
    new TroupeError(
      "ModelTimeout",
      `model "${model}" did not answer within ${formatMillis(deadlineMs)} (Ollama at ${host}): ${modelTimeoutAdvice(role, source)}, or pick a smaller model${role ? ` (${modelVariable(role)})` : ""}`,
      { data: { host, model, role, deadlineMs, setting: source } },
    );

  const contextTokens =
    options.contextTokens ?? (Number(env.OLLAMA_CONTEXT_LENGTH) || DEFAULT_CONTEXT_TOKENS);
  return { ...createLlm({ model, role, contextTokens, chat }), host };
};

/** What to throw when the call's signal aborted: its reason as a TroupeError. */
const abortError = (reason: unknown, error: unknown): TroupeError =>
  reason instanceof TroupeError
    ? reason
    : new TroupeError("Cancelled", "the model call was cancelled", { cause: reason ?? error });
