// @troupe/runtime/llm: the Llm port (chat, structured output, the tool loop), tools, and which
// model serves which role. Adapters live in their own entries (`@troupe/runtime/ollama`), the
// scripted model in `@troupe/runtime/testing`.
export { chatStructured } from "./chatStructured.ts";
export { createLlm } from "./createLlm.ts";
export { defineTool, toolSpecOf } from "./defineTool.ts";
export { estimateTokens, type FitOptions, type Fitted, fitToContext } from "./fitToContext.ts";
export { decodeJson, jsonSchemaOf } from "./jsonSchemaOf.ts";
export {
  addUsage,
  type ChatMessage,
  type ChatModel,
  type ChatOptions,
  type ChatReply,
  DEFAULT_MODEL_DEADLINE,
  type JsonSchema,
  type Llm,
  type LlmCallRecord,
  type LlmMetricsHook,
  type LlmOutcome,
  type LlmTool,
  type LlmUsage,
  noUsage,
  type RunToolsOptions,
  type StructuredOptions,
  type StructuredReply,
  type ToolCall,
  type ToolCallRecord,
  type ToolRun,
  type ToolSpec,
} from "./Llm.ts";
export {
  type BuiltInRole,
  DEFAULT_OLLAMA_HOST,
  FALLBACK_MODEL,
  modelVariable,
  normalizeOllamaHost,
  type OllamaHost,
  type ResolvedModel,
  ROLE_MODELS,
  resolveModel,
  resolveModels,
  resolveOllamaHost,
} from "./modelRoles.ts";
export {
  checkModelTimeouts,
  isModelTimeoutVariable,
  MODEL_TIMEOUT,
  modelTimeoutVariable,
  type ResolvedModelTimeout,
  resolveModelTimeout,
} from "./modelTimeouts.ts";
export { DEFAULT_MAX_STEPS, runTools } from "./runTools.ts";
export { conversationMessages, taskContextMessages, workingMemoryMessages } from "./taskContext.ts";
