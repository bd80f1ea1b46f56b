// A long alert cut into the messages a notification sink accepts, each with its "(i/n)" suffix
// within the limit: the one chunker (splitMessage.ts: paragraph, then line, then grapheme
// boundaries, fences balanced) with room kept for the suffix. Nothing is dropped: the pieces'
// bodies, joined, are the text again.
import { MIN_CHUNK_CHARS, renderPart, splitMessageParts } from "./splitMessage.ts";

export interface TextChunk {
  /** The exact slice of the original text (with the line break that followed it, if any). */
  readonly body: string;
  /** What is sent: the chunk without trailing white space, plus " (i/n)" when there are several. */
  readonly text: string;
}

const suffixOf = (index: number, count: number) => ` (${index}/${count})`;

/** Cut `text` into chunks whose sent text is at most `limit` UTF-16 code units, suffix included. */
export const chunkText = (text: string, limit: number): TextChunk[] => {
  if (!Number.isInteger(limit) || limit < 16) throw new RangeError(`chunk limit must be ≥ 16, got ${limit}`);
  if (text.length <= limit) return [{ body: text, text: text.trimEnd() }];
  // Guess the number of digits in n, and widen the reserved suffix until the count fits it.
  for (let digits = 1; digits < 8; digits += 1) {
    const widest = 10 ** digits - 1;
    const budget = limit - suffixOf(widest, widest).length;
    if (budget < MIN_CHUNK_CHARS) break;
    const parts = splitMessageParts(text, { maxChars: budget });
    if (parts.length <= widest)
      return parts.map((part, index) => ({
        body: `${part.body}${parts[index + 1]?.separator ?? ""}`,
        text: `${renderPart(part).trimEnd()}${suffixOf(index + 1, parts.length)}`,
      }));
  }
  throw new RangeError("text too long to chunk");
};
