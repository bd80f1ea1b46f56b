// The `Llm` port: what an agent calls to talk to a model, in plain TypeScript (Promise + AbortSignal).
// Adapters (Ollama, the scripted model of `@troupe/runtime/testing`) implement `chat`; `createLlm`
// adds structured output and the tool-calling loop on top of any of them, so every adapter behaves
// alike. The core never imports an adapter's client library.
import type { Schema } from "effect";
import type { TroupeError } from "../errors/TroupeError.ts";
import type { Duration } from "../time/duration.ts";

/** A JSON Schema object, as sent to the model for structured output or tool parameters. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** A tool call the model asked for: the tool's name and its arguments, as the model gave them. */
export interface ToolCall {
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant" | "tool";
  readonly content: string;
  /** On an assistant message: the tools it called. */
  readonly toolCalls?: readonly ToolCall[];
  /** On a tool message: the tool whose result `content` is. */
  readonly toolName?: string;
}

/** A tool as the model sees it: name, description and the JSON Schema of its arguments. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
}

export interface ChatOptions {
  /** Cancels this call only (never another call on the same host). */
  readonly signal?: AbortSignal;
  /** How long this call may take in all, retries included (the adapter's default when absent). */
  readonly deadline?: Duration;
  /** Structured output: a JSON Schema the answer must follow, or "json" for any JSON. */
  readonly format?: JsonSchema | "json";
  /** Tools the model may call; their calls come back in `toolCalls` (see `runTools` for the loop). */
  readonly tools?: readonly ToolSpec[];
  /** Each piece of the answer as it streams in (progress for the task). */
  readonly onToken?: (token: string) => void;
  /** Sampling temperature (the model's default when absent). */
  readonly temperature?: number;
}

/** What a call cost, as the model server reports it. */
export interface LlmUsage {
  readonly promptTokens: number;
  readonly evalTokens: number;
  readonly promptMs: number;
  readonly evalMs: number;
}

export interface ChatReply {
  readonly content: string;
  readonly toolCalls: readonly ToolCall[];
  readonly usage: LlmUsage;
  /** The model that answered. */
  readonly model: string;
  /** A reasoning model's thinking, when the server separates it from the answer. */
  readonly thinking?: string;
}

/** A structured answer: the decoded value, with the reply it came from. */
export interface StructuredReply<T> extends ChatReply {
  readonly value: T;
}

/**
 * A tool the model may call. `parameters` is the Effect Schema of its arguments: the model's call is
 * decoded with it before `run` sees it, and a call that does not match is refused.
 */
export interface LlmTool<A = unknown> {
  readonly name: string;
  readonly description: string;
  readonly parameters: Schema.ConstraintDecoder<A>;
  /**
   * The JSON Schema the model sees, when it is not derived from `parameters` (an MCP tool's own
   * `inputSchema`; `parameters` then checks the model's arguments against it).
   */
  readonly jsonSchema?: JsonSchema;
  run(args: A, signal: AbortSignal): unknown;
}

export type StructuredOptions = Omit<ChatOptions, "format" | "tools">;

export interface RunToolsOptions extends Omit<ChatOptions, "format" | "tools"> {
  /** Model calls allowed in all (default 8); a model still asking for tools after them fails with StepLimit. */
  readonly maxSteps?: number;
  /** Names of the tools that may run (the agent's allow-list); every tool given when absent. */
  readonly allow?: readonly string[];
  /** Each tool call as it is settled (ran, refused or failed). */
  readonly onToolCall?: (call: ToolCallRecord) => void;
}

export interface ToolCallRecord {
  /** The model call (1-based) that asked for it. */
  readonly step: number;
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** ran: its result went back to the model; refused: never ran (unknown, not allowed or bad arguments); failed: it threw. */
  readonly outcome: "ran" | "refused" | "failed";
  /** The text given back to the model as the tool's result. */
  readonly result: string;
  readonly error?: TroupeError | Error;
}

export interface ToolRun {
  /** The model's final answer (it asked for no more tools). */
  readonly reply: ChatReply;
  /** The whole conversation: the messages given, the model's tool calls and the tools' results. */
  readonly messages: readonly ChatMessage[];
  readonly calls: readonly ToolCallRecord[];
  /** Model calls made. */
  readonly steps: number;
  /** Usage summed over every model call. */
  readonly usage: LlmUsage;
}

/** What an adapter implements: one chat call against one model. */
export interface ChatModel {
  /** The model's name, as the server knows it ("qwen3:8b"). */
  readonly model: string;
  /** The role it was resolved for ("research"), when it was. */
  readonly role?: string | undefined;
  /**
   * The model's context in tokens, when known: prompts beyond it are cut with a note
   * (`fitToContext`) by the tool loop and by `ctx.llm` instead of being sent as they are.
   */
  readonly contextTokens?: number | undefined;
  chat(messages: readonly ChatMessage[], options?: ChatOptions): Promise<ChatReply>;
}

/** The port agents use: chat, structured output checked against a schema, and the tool loop. */
export interface Llm extends ChatModel {
  /**
   * Ask for JSON following `schema` (sent to the model as a JSON Schema) and decode the answer with
   * it. An answer that does not match is sent back once with the error; a second one fails with
   * ModelBadResponse naming what did not match.
   */
  chatStructured<T>(
    messages: readonly ChatMessage[],
    schema: Schema.ConstraintDecoder<T>,
    options?: StructuredOptions,
  ): Promise<StructuredReply<T>>;
  /**
   * Let the model call tools until it answers without one: each call is checked against the
   * allow-list and decoded with the tool's schema before it runs (a bad one is refused and the error
   * given back to the model), bounded by `maxSteps`.
   */
  runTools(
    messages: readonly ChatMessage[],
    tools: readonly LlmTool[],
    options?: RunToolsOptions,
  ): Promise<ToolRun>;
}

/** How a model call ended, the `outcome` label of the LLM metrics. */
export type LlmOutcome =
  | "ok"
  | "cancelled"
  | "not_found"
  | "busy"
  | "unavailable"
  | "timeout"
  | "bad_response"
  | "rejected";

/** One finished model call, for metrics. */
export interface LlmCallRecord {
  readonly role: string | undefined;
  readonly model: string;
  readonly outcome: LlmOutcome;
  readonly durationMs: number;
  /** Present when the server reported it (the call succeeded). */
  readonly usage?: LlmUsage;
}

/** Where an adapter reports each call (see `createLlmMetrics` in `@troupe/runtime/metrics`). */
export interface LlmMetricsHook {
  observe(call: LlmCallRecord): void;
}

/** How long a model call may take when neither the call nor the adapter says (generous: a model may load first). */
export const DEFAULT_MODEL_DEADLINE = "5m";

export const noUsage: LlmUsage = { promptTokens: 0, evalTokens: 0, promptMs: 0, evalMs: 0 };

export const addUsage = (a: LlmUsage, b: LlmUsage): LlmUsage => ({
  promptTokens: a.promptTokens + b.promptTokens,
  evalTokens: a.evalTokens + b.evalTokens,
  promptMs: a.promptMs + b.promptMs,
  evalMs: a.evalMs + b.evalMs,
});
