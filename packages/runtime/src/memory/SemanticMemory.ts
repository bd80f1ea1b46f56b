// Semantic memory: texts kept with their embedding and recalled by cosine similarity to a query
// ("what related work was done before?"). The embedding comes through the `Embedder` port (Ollama's
// /api/embed in `@troupe/runtime/ollama`); the stores are the embedded SQLite file and PostgreSQL.
import { TroupeError } from "../errors/TroupeError.ts";

/** Turns texts into vectors (one per text, all of the model's dimension). */
export interface Embedder {
  readonly model: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
}

export interface Memory {
  readonly id: string;
  readonly text: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

export interface Recalled extends Memory {
  /** Cosine similarity to the query, in [-1, 1] (1: the same direction). */
  readonly score: number;
}

export interface RememberOptions {
  /** Separates memories (per agent, per user…); default "default". */
  readonly namespace?: string;
  readonly metadata?: Record<string, unknown>;
  readonly signal?: AbortSignal;
}

export interface RecallOptions {
  readonly namespace?: string;
  /** At most this many (default 5), best first. */
  readonly limit?: number;
  /** Leave out what scores lower (default: keep all). */
  readonly minScore?: number;
  readonly signal?: AbortSignal;
}

export interface SemanticMemory {
  /** How the store searches: a vector index/function of the database, or cosine computed here. */
  readonly search: "sqlite-vec" | "pgvector" | "plain";
  remember(text: string, options?: RememberOptions): Promise<Memory>;
  recall(query: string, options?: RecallOptions): Promise<readonly Recalled[]>;
  forget(id: string): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_NAMESPACE = "default";

/** Cosine similarity of two vectors of the same length (0 when either is all zeros). */
export const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index += 1) {
    const x = a[index]!;
    const y = b[index]!;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
};

/** Embed one text, checking the embedder gave one finite vector. */
export const embedOne = async (embedder: Embedder, text: string, signal?: AbortSignal): Promise<number[]> => {
  if (text.trim() === "")
    throw new TroupeError("InvalidTask", "there is nothing to embed: the text is empty");
  const [vector] = await embedder.embed([text], signal);
  if (!vector || vector.length === 0 || vector.some((value) => !Number.isFinite(value))) {
    throw new TroupeError(
      "ModelBadResponse",
      `the embedding model ${embedder.model} returned no usable vector`,
    );
  }
  return vector;
};

/** Best first, at most `limit`, above `minScore`. */
export const rank = <T extends { score: number }>(items: T[], options: RecallOptions): T[] =>
  items
    .filter((item) => options.minScore === undefined || item.score >= options.minScore)
    .sort((a, b) => b.score - a.score)
    .slice(0, options.limit ?? 5);
