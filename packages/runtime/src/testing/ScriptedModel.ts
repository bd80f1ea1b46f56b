// A model for unit tests: it answers each call with the next step of a script (text, a token
// stream, JSON, tool calls, an error, or never), and records what it was asked. It implements the
// whole `Llm` port — structured output and the tool loop are the real ones, on top of the script —
// so an agent's logic can be tested without a model server.
import type { Schema } from "effect";
import { TroupeError, type TroupeErrorTag } from "../errors/TroupeError.ts";
import { chatStructured } from "../llm/chatStructured.ts";
import {
  type ChatMessage,
  type ChatOptions,
  type ChatReply,
  DEFAULT_MODEL_DEADLINE,
  type Llm,
  type LlmTool,
  type LlmUsage,
  type RunToolsOptions,
  type StructuredOptions,
  type StructuredReply,
  type ToolCall,
  type ToolRun,
} from "../llm/Llm.ts";
import { runTools } from "../llm/runTools.ts";
import { formatMillis, toMillis } from "../time/duration.ts";

/** One answer of a scripted model. A plain string is the answer's text. */
export type ModelStep =
  | string
  | { readonly text: string; readonly usage?: Partial<LlmUsage> }
  /** Streamed to `onToken` one by one; the answer is their concatenation. */
  | { readonly tokens: readonly string[]; readonly usage?: Partial<LlmUsage> }
  /** The answer is this value as JSON (for `chatStructured`). */
  | { readonly json: unknown }
  | { readonly toolCalls: readonly ToolCall[]; readonly text?: string }
  /** The call fails: with this error, or a TroupeError of this tag. */
  | { readonly error: Error | TroupeErrorTag }
  /** Never answers: fails when the call's signal aborts, or with ModelTimeout at its deadline. */
  | { readonly hang: true }
  /** Computed from the call. */
  | { readonly reply: (call: ScriptedCall) => ModelStep | Promise<ModelStep> };

export interface ScriptedCall {
  readonly messages: readonly ChatMessage[];
  readonly options: ChatOptions;
}

export interface ScriptedModelOptions {
  /** The model's name in replies and errors (default "scripted"). */
  readonly model?: string;
  readonly role?: string;
  /** A context size in tokens, to test prompts cut to fit (none by default). */
  readonly contextTokens?: number;
}

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** A scripted `Llm`: one step per call, the last step repeating; `calls` records every call. */
export class ScriptedModel implements Llm {
  readonly model: string;
  readonly role: string | undefined;
  readonly contextTokens: number | undefined;
  /** Every call, in order: the messages and options it was given. */
  readonly calls: ScriptedCall[] = [];
  readonly #script: ModelStep[];

  constructor(script: readonly ModelStep[], options: ScriptedModelOptions = {}) {
    if (script.length === 0) throw new RangeError("a ScriptedModel needs at least one step");
    this.#script = [...script];
    this.model = options.model ?? "scripted";
    this.role = options.role;
    this.contextTokens = options.contextTokens;
  }

  /** Add steps after the ones already scripted. */
  push(...steps: readonly ModelStep[]): void {
    this.#script.push(...steps);
  }

  /** The messages of the n-th call (0-based; the last one when absent). */
  messages(index = this.calls.length - 1): readonly ChatMessage[] {
    const call = this.calls[index];
    if (!call) throw new RangeError(`the model was called ${this.calls.length} times, no call ${index}`);
    return call.messages;
  }

  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatReply> {
    const call: ScriptedCall = { messages: [...messages], options };
    const step = this.#script[Math.min(this.calls.length, this.#script.length - 1)]!;
    this.calls.push(call);
    return this.#answer(step, call);
  }

  chatStructured<T>(
    messages: readonly ChatMessage[],
    schema: Schema.ConstraintDecoder<T>,
    options?: StructuredOptions,
  ): Promise<StructuredReply<T>> {
    return chatStructured(this, messages, schema, options);
  }
  runTools(
    messages: readonly ChatMessage[],
    tools: readonly LlmTool[],
    options?: RunToolsOptions,
  ): Promise<ToolRun> {
    return runTools(this, messages, tools, options);
  }

  async #answer(step: ModelStep, call: ScriptedCall): Promise<ChatReply> {
    const { signal, onToken } = call.options;
    const cancelled = () =>
      signal?.reason instanceof TroupeError
        ? signal.reason
        : new TroupeError("Cancelled", "the model call was cancelled", { cause: signal?.reason });
    if (signal?.aborted) throw cancelled();
    const promptTokens = call.messages.reduce((sum, message) => sum + words(message.content), 0);
    const reply = (
      content: string,
      toolCalls: readonly ToolCall[] = [],
      usage: Partial<LlmUsage> = {},
    ): ChatReply => ({
      content,
      toolCalls,
      model: this.model,
      usage: { promptTokens, evalTokens: words(content), promptMs: 0, evalMs: 0, ...usage },
    });
    if (typeof step === "string") {
      onToken?.(step);
      return reply(step);
    }
    if ("text" in step && !("toolCalls" in step)) {
      onToken?.(step.text);
      return reply(step.text, [], step.usage);
    }
    if ("tokens" in step) {
      for (const token of step.tokens) {
        await Promise.resolve();
        if (signal?.aborted) throw cancelled();
        onToken?.(token);
      }
      return reply(step.tokens.join(""), [], { evalTokens: step.tokens.length, ...step.usage });
    }
    if ("json" in step) return reply(JSON.stringify(step.json));
    if ("toolCalls" in step) return reply(step.text ?? "", step.toolCalls);
    if ("error" in step) {
      throw typeof step.error === "string"
        ? new TroupeError(step.error, `scripted ${step.error} from model "${this.model}"`, {
            data: { model: this.model },
          })
        : step.error;
    }
    if ("reply" in step) return this.#answer(await step.reply(call), call);
    const deadlineMs = toMillis(call.options.deadline ?? DEFAULT_MODEL_DEADLINE, "deadline");
    return new Promise<ChatReply>((_, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new TroupeError(
              "ModelTimeout",
              `model "${this.model}" did not answer within ${formatMillis(deadlineMs)}`,
              {
                data: { model: this.model, deadlineMs },
              },
            ),
          ),
        deadlineMs,
      );
      signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          reject(cancelled());
        },
        { once: true },
      );
    });
  }
}
