// Cutting a long text into messages a service accepts: each piece with its "(i/n)" suffix within
// the limit, cut on a paragraph break if one fits, else on a line break, else between graphemes
// (Intl.Segmenter), so Korean syllables, emoji with modifiers and ZWJ sequences are never split.
// Nothing is dropped: the pieces' bodies, joined, are the text again.

export interface TextChunk {
  /** The exact slice of the original text. */
  readonly body: string;
  /** What is sent: the body without trailing white space, plus " (i/n)" when there are several. */
  readonly text: string;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

const suffixOf = (index: number, count: number) => ` (${index}/${count})`;

/** Grapheme boundaries of `text` (offsets in code units), 0 and text.length included. */
const graphemeEnds = (text: string): number[] => {
  const ends: number[] = [];
  for (const { index, segment } of segmenter.segment(text)) ends.push(index + segment.length);
  return ends;
};

/**
 * Split `text` into slices of at most `budget` code units each, preferring to end a slice right
 * after "\n\n", then after "\n", then at any grapheme boundary. A grapheme longer than the budget
 * on its own (hundreds of combining marks) is cut between code points as a last resort.
 */
const slices = (text: string, budget: number): string[] => {
  const out: string[] = [];
  let start = 0;
  while (text.length - start > budget) {
    const window = text.slice(start, start + budget);
    let cut = window.lastIndexOf("\n\n");
    if (cut > 0) cut += 2;
    else {
      cut = window.lastIndexOf("\n");
      if (cut > 0) cut += 1;
      else {
        // The last grapheme boundary within the window (one grapheme lookahead decides).
        const ends = graphemeEnds(text.slice(start, start + budget + 64));
        cut = 0;
        for (const end of ends) {
          if (end > budget) break;
          cut = end;
        }
        if (cut === 0) {
          const codePoint = text.codePointAt(start + budget - 1)!;
          cut = codePoint > 0xffff && budget > 1 ? budget - 1 : budget;
          if (/[\uDC00-\uDFFF]/.test(text[start + cut] ?? "") && cut > 1) cut -= 1;
        }
      }
    }
    out.push(text.slice(start, start + cut));
    start += cut;
  }
  if (start < text.length || out.length === 0) out.push(text.slice(start));
  return out;
};

const render = (bodies: readonly string[]): TextChunk[] =>
  bodies.length === 1
    ? [{ body: bodies[0]!, text: bodies[0]!.trimEnd() }]
    : bodies.map((body, index) => ({
        body,
        text: `${body.trimEnd()}${suffixOf(index + 1, bodies.length)}`,
      }));

/** Cut `text` into chunks whose sent text is at most `limit` UTF-16 code units, suffix included. */
export const chunkText = (text: string, limit: number): TextChunk[] => {
  if (!Number.isInteger(limit) || limit < 16) throw new RangeError(`chunk limit must be ≥ 16, got ${limit}`);
  if (text.length <= limit) return render([text]);
  // Guess the number of digits in n, and widen the reserved suffix until the count fits it.
  for (let digits = 1; digits < 8; digits += 1) {
    const widest = 10 ** digits - 1;
    const budget = limit - suffixOf(widest, widest).length;
    const bodies = slices(text, budget);
    if (bodies.length <= widest) return render(bodies);
  }
  throw new RangeError("text too long to chunk");
};
