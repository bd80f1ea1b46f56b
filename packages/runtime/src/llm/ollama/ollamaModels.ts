// What the Ollama server has and how to get what it lacks: the local models (`/api/tags`) and a
// pull (`/api/pull`) with its progress, for `troupe models`. Errors are the adapter's: an
// unreachable server names OLLAMA_HOST, a stalled pull times out instead of waiting forever.
import { TroupeError } from "../../errors/TroupeError.ts";
import { type Duration, formatMillis, toMillis } from "../../time/duration.ts";
import { deadlineSignal, ollamaClient, withSignal } from "./ollamaClient.ts";
import { toModelError } from "./toModelError.ts";

export interface LocalModel {
  /** As Ollama lists it ("qwen3:8b", "nomic-embed-text:latest"). */
  readonly name: string;
  readonly size: number;
  readonly digest: string;
}

export interface PullProgress {
  readonly model: string;
  /** Ollama's words: "pulling manifest", "pulling 6a0746a1ec1a", "verifying sha256 digest", "success"… */
  readonly status: string;
  /** Bytes of the current layer, when it is a download. */
  readonly completed?: number;
  readonly total?: number;
}

/** "llama3.2" and "llama3.2:latest" are the same model. */
export const sameModel = (a: string, b: string): boolean => {
  const full = (name: string) => (name.includes(":") ? name : `${name}:latest`);
  return full(a) === full(b);
};

const abortReason = (signal: AbortSignal, error: unknown): TroupeError =>
  signal.reason instanceof TroupeError
    ? signal.reason
    : new TroupeError("Cancelled", "cancelled", { cause: signal.reason ?? error });

/** The models Ollama at `host` has. */
export const listOllamaModels = async (
  host: string,
  options: { readonly signal?: AbortSignal; readonly deadline?: Duration } = {},
): Promise<readonly LocalModel[]> => {
  const ms = toMillis(options.deadline ?? "10s", "deadline");
  const deadline = deadlineSignal(
    ms,
    options.signal,
    () =>
      new TroupeError(
        "ModelTimeout",
        `Ollama at ${host} did not list its models within ${formatMillis(ms)}: check that OLLAMA_HOST points at a running Ollama`,
        { data: { host } },
      ),
  );
  try {
    const { models } = await withSignal(deadline.signal, () => ollamaClient(host).list());
    if (!Array.isArray(models)) throw new SyntaxError("no `models` list in /api/tags");
    return models.map((model) => ({
      name: String(model.name),
      size: Number(model.size) || 0,
      digest: String(model.digest ?? ""),
    }));
  } catch (error) {
    if (deadline.signal.aborted) throw abortReason(deadline.signal, error);
    throw toModelError(error, { host, model: "", operation: "list" });
  } finally {
    deadline.clear();
  }
};

/**
 * Pull `model` into Ollama at `host`, reporting progress. Fails with ModelTimeout when no progress
 * arrives for `stallDeadline` (default 2m): a download may be long, but never silent.
 */
export const pullOllamaModel = async (
  host: string,
  model: string,
  options: {
    readonly signal?: AbortSignal;
    readonly stallDeadline?: Duration;
    readonly onProgress?: (progress: PullProgress) => void;
  } = {},
): Promise<void> => {
  const ms = toMillis(options.stallDeadline ?? "2m", "stallDeadline");
  const deadline = deadlineSignal(
    ms,
    options.signal,
    () =>
      new TroupeError(
        "ModelTimeout",
        `pulling "${model}" from Ollama at ${host} made no progress for ${formatMillis(ms)}: check the server's network, then pull again`,
        { data: { host, model } },
      ),
  );
  try {
    await withSignal(deadline.signal, async () => {
      const stream = await ollamaClient(host).pull({ model, stream: true });
      for await (const part of stream) {
        deadline.reset();
        options.onProgress?.({
          model,
          status: String(part.status ?? ""),
          ...(typeof part.total === "number" ? { total: part.total } : {}),
          ...(typeof part.completed === "number" ? { completed: part.completed } : {}),
        });
      }
    });
  } catch (error) {
    if (deadline.signal.aborted) throw abortReason(deadline.signal, error);
    // Ollama reports a name it cannot find inside the stream ("pull model manifest: file does not
    // exist"), not as a 404.
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === "Error" && /file does not exist|not found/i.test(message)) {
      throw new TroupeError(
        "ModelNotFound",
        `Ollama cannot pull "${model}" (${message}): check the model's name`,
        {
          cause: error,
          data: { host, model },
        },
      );
    }
    const failure = toModelError(error, { host, model, operation: "pull" });
    throw failure;
  } finally {
    deadline.clear();
  }
};
