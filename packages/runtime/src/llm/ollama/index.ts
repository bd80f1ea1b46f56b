// @troupe/runtime/ollama: the Ollama adapter of the Llm port (on the `ollama` package), and what
// `troupe models` needs to list and pull models. A separate entry, so the core never loads `ollama`.

export {
  createOllamaEmbedder,
  DEFAULT_EMBED_MODEL,
  type OllamaEmbedderOptions,
} from "./createOllamaEmbedder.ts";
export {
  createOllamaLlm,
  DEFAULT_CONTEXT_TOKENS,
  type OllamaLlm,
  type OllamaLlmOptions,
} from "./createOllamaLlm.ts";
export {
  type LocalModel,
  listOllamaModels,
  type PullProgress,
  pullOllamaModel,
  sameModel,
} from "./ollamaModels.ts";
