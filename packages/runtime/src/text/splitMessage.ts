// The one text chunker: long replies and alerts cut into messages a service accepts (2,000
// characters on Discord, 200 for a Kakao memo). A chunk ends after a paragraph break if one fits,
// else after a line, else — a line longer than a message — between graphemes (Intl.Segmenter), so
// Korean syllables, emoji with modifiers and ZWJ sequences are never split. Code fences stay
// balanced: a chunk that ends inside a fence closes it, and the next one opens it again with the same
// language (for limits of 100 characters or more; below that a fence is text like any other).
// Nothing is lost: joined with their separators, the bodies are the text again.

/** One chunk as cut from the text, before the fence lines the cut added. */
export interface MessagePart {
  /** The text of the original in this chunk. */
  readonly body: string;
  /** What stood between the previous chunk's body and this one's: a newline, or nothing (a cut line). */
  readonly separator: "\n" | "";
  /** The fence opener added in front (e.g. "```ts") when the chunk starts inside a code block. */
  readonly reopen: string | undefined;
  /** Whether a closing fence was added after the body. */
  readonly close: boolean;
}

const FENCE = /^\s{0,3}```([^`]*)$/;
const CLOSER = "```";
/** Below this limit fences are not balanced: their reopen and close lines would not leave room. */
const FENCES_FROM = 100;
/** The smallest limit a text may be cut to. */
export const MIN_CHUNK_CHARS = 10;

const isFence = (line: string) => line.length <= 100 && FENCE.test(line);

/** The opener to repeat for a fence line: its backticks and the first word of its info string. */
const openerOf = (line: string) => {
  const info = (FENCE.exec(line)?.[1] ?? "").trim().split(/\s+/)[0] ?? "";
  return `${CLOSER}${info.slice(0, 20)}`;
};

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Where to cut a line longer than `room`: the last grapheme boundary within it. A single grapheme
 * longer than `room` (hundreds of combining marks) is cut between code points as a last resort.
 */
const graphemeCut = (line: string, room: number): number => {
  let cut = 0;
  for (const { index, segment } of segmenter.segment(line.slice(0, room + 64))) {
    const end = index + segment.length;
    if (end > room) break;
    cut = end;
  }
  if (cut > 0) return cut;
  const code = line.charCodeAt(room - 1);
  return code >= 0xd800 && code <= 0xdbff && room > 1 ? room - 1 : room;
};

/** Render a part as the message it becomes. */
export const renderPart = (part: MessagePart): string =>
  `${part.reopen === undefined ? "" : `${part.reopen}\n`}${part.body}${part.close ? `\n${CLOSER}` : ""}`;

/** Cut `text` into parts whose rendered form is at most `maxChars` long; joined, the bodies are `text`. */
export const splitMessageParts = (text: string, options: { maxChars?: number } = {}): MessagePart[] => {
  const maxChars = options.maxChars ?? 2_000;
  if (!Number.isInteger(maxChars) || maxChars < MIN_CHUNK_CHARS)
    throw new RangeError(`maxChars must be a whole number of at least ${MIN_CHUNK_CHARS}, got ${maxChars}`);
  if (text === "") return [];
  const fences = maxChars >= FENCES_FROM;
  const parts: MessagePart[] = [];
  /** The lines of the chunk being filled, each with the fence open after it. */
  let body: { line: string; fence: string | undefined }[] = [];
  let separator: "\n" | "" = "\n";
  let reopen: string | undefined;
  let fence: string | undefined; // the opener of the fence open at the end of `body`

  const lines = text.split("\n");
  let index = 0;
  /** The rest of a line cut at the end of the previous chunk. */
  let carry: string | undefined;

  /** Emit the first `count` lines of the body; the others go back to be read again. */
  const flush = (count: number) => {
    const kept = body.slice(0, count);
    const after = kept.at(-1)!.fence;
    parts.push({
      body: kept.map((entry) => entry.line).join("\n"),
      separator: parts.length === 0 ? "\n" : separator,
      reopen,
      close: after !== undefined,
    });
    index -= body.length - count;
    body = [];
    separator = "\n";
    reopen = after;
    fence = after;
  };
  const room = (fenceAfter: string | undefined) =>
    maxChars - (reopen === undefined ? 0 : reopen.length + 1) - (fenceAfter === undefined ? 0 : 4);
  const bodyLength = () => body.reduce((sum, entry, at) => sum + entry.line.length + (at > 0 ? 1 : 0), 0);

  while (carry !== undefined || index < lines.length) {
    const cutRest = carry !== undefined;
    const line = carry ?? lines[index++]!;
    carry = undefined;
    const fenceAfter =
      fences && !cutRest && isFence(line) ? (fence === undefined ? openerOf(line) : undefined) : fence;
    const added = (body.length > 0 ? 1 : 0) + line.length;
    if (bodyLength() + added <= room(fenceAfter)) {
      if (body.length === 0) separator = cutRest ? "" : "\n";
      body.push({ line, fence: fenceAfter });
      fence = fenceAfter;
      continue;
    }
    if (body.length > 0) {
      // Full: end after the last paragraph break outside a code block, else after the last line.
      let paragraph = -1;
      for (let at = body.length - 1; at >= 1 && paragraph < 0; at -= 1)
        if (body[at]!.line.trim() === "" && body[at]!.fence === undefined) paragraph = at;
      index -= 1; // read again in the next chunk (a cut line's rest only comes to an empty chunk)
      flush(paragraph > 0 ? paragraph + 1 : body.length);
      continue;
    }
    // The line alone does not fit: cut it between graphemes (a line this long is never a fence line).
    const cut = graphemeCut(line, room(fence));
    separator = cutRest ? "" : "\n";
    body.push({ line: line.slice(0, cut), fence });
    flush(1);
    carry = line.slice(cut);
  }
  if (body.length > 0) flush(body.length);
  return parts;
};

/** Cut `text` into messages of at most `maxChars` characters, fences balanced in each. */
export const splitMessage = (text: string, options: { maxChars?: number } = {}): string[] =>
  splitMessageParts(text, options).map(renderPart);
