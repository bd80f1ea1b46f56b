// The Embedder of semantic memory on Ollama's /api/embed (the `ollama` client, on the same per-call
// signal fetch as the chat adapter): the model from `MODEL_EMBED` (default `nomic-embed-text`),
// failures as the same Model* TroupeErrors (model missing names the pull command).
import type { Embedder } from "../../memory/SemanticMemory.ts";
import {
  DEFAULT_EMBED_MODEL,
  normalizeOllamaHost,
  resolveEmbedModel,
  resolveOllamaHost,
} from "../modelRoles.ts";
import { ollamaClient, withSignal } from "./ollamaClient.ts";
import { toModelError } from "./toModelError.ts";

export { DEFAULT_EMBED_MODEL };

export interface OllamaEmbedderOptions {
  /** Default: `MODEL_EMBED`, else `nomic-embed-text`. */
  readonly model?: string;
  /** Default: `OLLAMA_HOST`, else http://127.0.0.1:11434. */
  readonly host?: string;
  /** Each call's deadline in ms besides the caller's signal (default 60s). */
  readonly deadlineMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export const createOllamaEmbedder = (options: OllamaEmbedderOptions = {}): Embedder => {
  const env = options.env ?? process.env;
  const model = options.model ?? resolveEmbedModel(env).model;
  const host =
    options.host === undefined ? resolveOllamaHost(env).url : normalizeOllamaHost(options.host, "host");
  const client = ollamaClient(host);
  const deadlineMs = options.deadlineMs ?? 60_000;
  return {
    model,
    async embed(texts, signal) {
      const callSignal = AbortSignal.any([AbortSignal.timeout(deadlineMs), ...(signal ? [signal] : [])]);
      try {
        const response = await withSignal(callSignal, () => client.embed({ model, input: [...texts] }));
        return response.embeddings;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw toModelError(error, { host, model, operation: "embed" });
      }
    },
  };
};
