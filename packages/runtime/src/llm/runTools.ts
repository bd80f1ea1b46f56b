// The tool-calling loop on any chat model: the model asks for tools, each call is checked (on the
// allow-list, arguments decoded with the tool's schema) before it runs, the results go back to the
// model, and so on until it answers without a tool call — or runs out of steps, which fails with
// StepLimit instead of looping forever. A refused or failing call is told to the model, which can
// correct itself; only cancellation stops the loop from inside.
import { TroupeError } from "../errors/TroupeError.ts";
import { toolSpecOf } from "./defineTool.ts";
import { fitToContext } from "./fitToContext.ts";
import { decodeJson } from "./jsonSchemaOf.ts";
import {
  addUsage,
  type ChatMessage,
  type ChatModel,
  type LlmTool,
  noUsage,
  type RunToolsOptions,
  type ToolCall,
  type ToolCallRecord,
  type ToolRun,
} from "./Llm.ts";

export const DEFAULT_MAX_STEPS = 8;

const text = (value: unknown): string => {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
};

const argumentsOf = (call: ToolCall): unknown => {
  // Some models hand over the arguments as a JSON string rather than an object.
  const raw: unknown = call.arguments;
  if (typeof raw !== "string") return raw ?? {};
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
};

export const runTools = async (
  model: ChatModel,
  messages: readonly ChatMessage[],
  tools: readonly LlmTool[],
  options: RunToolsOptions = {},
): Promise<ToolRun> => {
  const { maxSteps = DEFAULT_MAX_STEPS, allow, onToolCall, ...chatOptions } = options;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new RangeError(`maxSteps must be a whole number of at least 1, got ${maxSteps}`);
  }
  const known = new Map<string, LlmTool<unknown>>();
  for (const tool of tools) {
    if (known.has(tool.name)) throw new RangeError(`two tools are named "${tool.name}"`);
    known.set(tool.name, tool);
  }
  const allowed = new Map([...known].filter(([name]) => allow === undefined || allow.includes(name)));
  const specs = [...allowed.values()].map(toolSpecOf);
  const available = specs.length === 0 ? "none" : specs.map((spec) => spec.name).join(", ");
  const signal = options.signal ?? new AbortController().signal;

  const settle = async (step: number, call: ToolCall): Promise<ToolCallRecord> => {
    const base = { step, name: call.name, arguments: call.arguments };
    const refuse = (problem: string, advice: string): ToolCallRecord => ({
      ...base,
      outcome: "refused",
      result: `error: ${problem}. ${advice}`,
      error: new TroupeError("ToolCallRefused", `tool call refused: ${problem}`, {
        data: { model: model.model, tool: call.name, arguments: call.arguments },
      }),
    });
    const tool = allowed.get(call.name);
    if (!tool) {
      return refuse(
        known.has(call.name)
          ? `the tool "${call.name}" is not allowed for this agent`
          : `there is no tool named "${call.name}"`,
        `Available tools: ${available}.`,
      );
    }
    const decoded = decodeJson(tool.parameters, argumentsOf(call));
    if (!decoded.ok) {
      return refuse(
        `the arguments of "${call.name}" do not match its schema: ${decoded.problem}`,
        "Call it again with arguments that follow the schema.",
      );
    }
    try {
      return { ...base, outcome: "ran", result: text(await tool.run(decoded.value, signal)) };
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      const message = error instanceof Error ? error.message : String(error);
      return {
        ...base,
        outcome: "failed",
        result: `error: the tool "${call.name}" failed: ${message}`,
        error: error instanceof Error ? error : new Error(message),
      };
    }
  };

  const conversation: ChatMessage[] = [...messages];
  const calls: ToolCallRecord[] = [];
  let usage = noUsage;
  for (let step = 1; step <= maxSteps; step += 1) {
    // A conversation grown past the model's context is cut with a note, never sent as it is.
    const prompt = model.contextTokens
      ? fitToContext(conversation, { contextTokens: model.contextTokens }).messages
      : conversation;
    const reply = await model.chat([...prompt], {
      ...chatOptions,
      ...(specs.length > 0 ? { tools: specs } : {}),
    });
    usage = addUsage(usage, reply.usage);
    if (reply.toolCalls.length === 0) {
      conversation.push({ role: "assistant", content: reply.content });
      return { reply, messages: conversation, calls, steps: step, usage };
    }
    conversation.push({ role: "assistant", content: reply.content, toolCalls: reply.toolCalls });
    for (const call of reply.toolCalls) {
      const record = await settle(step, call);
      calls.push(record);
      onToolCall?.(record);
      conversation.push({ role: "tool", toolName: call.name, content: record.result });
    }
  }
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.name, (counts.get(call.name) ?? 0) + 1);
  const called = [...counts].map(([name, count]) => `${name} ×${count}`).join(", ");
  throw new TroupeError(
    "StepLimit",
    `model "${model.model}" still asked for tools after ${maxSteps} steps (it called ${called}); raise maxSteps, narrow the task or check what the tools answer`,
    { data: { model: model.model, role: model.role, maxSteps, calls: Object.fromEntries(counts) } },
  );
};
