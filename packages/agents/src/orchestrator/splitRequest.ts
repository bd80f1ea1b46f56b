// Splitting a free-text request into the parts that can run in parallel: a bulleted or numbered list
// (one part per item), or parts separated by semicolons. Anything else is one part. Rules only, so
// the split is predictable and a person can force it by writing a list.

const ITEM = /^\s*(?:[-*•]|\d{1,2}[.)])\s+(.+)$/;

/** At most this many parts; the rest stay in the last one rather than fanning out without bound. */
export const MAX_PARTS = 8;

const capped = (parts: readonly string[]): string[] =>
  parts.length <= MAX_PARTS
    ? [...parts]
    : [...parts.slice(0, MAX_PARTS - 1), parts.slice(MAX_PARTS - 1).join("; ")];

/** The parts of a request, in order; a request of one part is returned as it is (trimmed). */
export const splitRequest = (text: string): string[] => {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const items = trimmed
    .split("\n")
    .map((line) => ITEM.exec(line)?.[1]?.trim())
    .filter((item): item is string => item !== undefined && item !== "");
  if (items.length >= 2) return capped(items);
  const pieces = trimmed
    .split(";")
    .map((piece) => piece.trim())
    .filter(Boolean);
  if (pieces.length >= 2) return capped(pieces);
  return [trimmed];
};
