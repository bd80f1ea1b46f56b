// An `Llm` from any chat model: structured output and the tool loop are written once, on top of
// `chat`, so the Ollama adapter and the scripted test model behave the same way.
import { chatStructured } from "./chatStructured.ts";
import type { ChatModel, Llm } from "./Llm.ts";
import { runTools } from "./runTools.ts";

export const createLlm = (model: ChatModel): Llm => ({
  model: model.model,
  role: model.role,
  contextTokens: model.contextTokens,
  chat: (messages, options) => model.chat(messages, options),
  chatStructured: (messages, schema, options) => chatStructured(model, messages, schema, options),
  runTools: (messages, tools, options) => runTools(model, messages, tools, options),
});
