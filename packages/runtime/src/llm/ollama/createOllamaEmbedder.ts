// The Embedder of semantic memory on Ollama's /api/embed (the `ollama` client, on the same per-call
// signal fetch as the chat adapter): the model from `MODEL_EMBED` (default `nomic-embed-text`),
// each call bounded by `MODEL_TIMEOUT_EMBED`, else `MODEL_TIMEOUT`, else a minute (a hung server
// fails with ModelTimeout naming the setting), failures as the same Model* TroupeErrors (model
// missing names the pull command).
import { TroupeError } from "../../errors/TroupeError.ts";
import type { Embedder } from "../../memory/SemanticMemory.ts";
import { type Duration, formatMillis, toMillis } from "../../time/duration.ts";
import {
  DEFAULT_EMBED_MODEL,
  normalizeOllamaHost,
  resolveEmbedModel,
  resolveOllamaHost,
} from "../modelRoles.ts";
import { modelTimeoutAdvice, resolveModelTimeout } from "../modelTimeouts.ts";
import { deadlineSignal, ollamaClient, withSignal } from "./ollamaClient.ts";
import { toModelError } from "./toModelError.ts";

export { DEFAULT_EMBED_MODEL };

/** The deadline of an embedding when neither the option nor a variable sets one. */
export const DEFAULT_EMBED_DEADLINE: Duration = "60s";

/** The role an embedder's deadline is read for: `MODEL_TIMEOUT_EMBED`. */
const EMBED_ROLE = "embed";

export interface OllamaEmbedderOptions {
  /** Default: `MODEL_EMBED`, else `nomic-embed-text`. */
  readonly model?: string;
  /** Default: `OLLAMA_HOST`, else http://127.0.0.1:11434. */
  readonly host?: string;
  /** Each call's deadline besides the caller's signal (default: `MODEL_TIMEOUT_EMBED`, else `MODEL_TIMEOUT`, else 60s). */
  readonly deadline?: Duration;
  readonly env?: NodeJS.ProcessEnv;
}

export const createOllamaEmbedder = (options: OllamaEmbedderOptions = {}): Embedder => {
  const env = options.env ?? process.env;
  const model = options.model ?? resolveEmbedModel(env).model;
  const host =
    options.host === undefined ? resolveOllamaHost(env).url : normalizeOllamaHost(options.host, "host");
  const client = ollamaClient(host);
  const deadline =
    options.deadline === undefined
      ? resolveModelTimeout(EMBED_ROLE, env, DEFAULT_EMBED_DEADLINE)
      : { ms: toMillis(options.deadline, "deadline"), source: "deadline" };
  const timedOut = () =>
    new TroupeError(
      "ModelTimeout",
      `embedding model "${model}" did not answer within ${formatMillis(deadline.ms)} (Ollama at ${host}): ${modelTimeoutAdvice(EMBED_ROLE, deadline.source)}`,
      { data: { host, model, operation: "embed", deadlineMs: deadline.ms, setting: deadline.source } },
    );
  return {
    model,
    async embed(texts, signal) {
      const call = deadlineSignal(deadline.ms, signal, timedOut);
      try {
        const response = await withSignal(call.signal, () => client.embed({ model, input: [...texts] }));
        return response.embeddings;
      } catch (error) {
        // The caller's reason (a cancelled or hung task) or the deadline's ModelTimeout.
        if (call.signal.aborted) throw call.signal.reason;
        throw toModelError(error, { host, model, operation: "embed" });
      } finally {
        call.clear();
      }
    },
  };
};
