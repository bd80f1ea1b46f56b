// Long replies cut into messages a chat surface accepts (2,000 characters on Discord): on line
// boundaries, a line longer than a message cut where it must, and code fences kept balanced — a chunk
// that ends inside a fence closes it, and the next chunk opens it again with the same language.

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

const isFence = (line: string) => line.length <= 100 && FENCE.test(line);

/** The opener to repeat for a fence line: its backticks and the first word of its info string. */
const openerOf = (line: string) => {
  const info = (FENCE.exec(line)?.[1] ?? "").trim().split(/\s+/)[0] ?? "";
  return `${CLOSER}${info.slice(0, 20)}`;
};

/** Render a part as the message it becomes. */
export const renderPart = (part: MessagePart): string =>
  `${part.reopen === undefined ? "" : `${part.reopen}\n`}${part.body}${part.close ? `\n${CLOSER}` : ""}`;

/** Cut `text` into parts whose rendered form is at most `maxChars` long; joined, the bodies are `text`. */
export const splitMessageParts = (text: string, options: { maxChars?: number } = {}): MessagePart[] => {
  const maxChars = options.maxChars ?? 2_000;
  if (maxChars < 200) throw new RangeError(`maxChars must be at least 200, got ${maxChars}`);
  if (text === "") return [];
  const parts: MessagePart[] = [];
  let body = "";
  let started = false; // whether `body` holds anything yet (it may hold an empty line)
  let separator: "\n" | "" = "\n";
  let reopen: string | undefined;
  let fence: string | undefined; // the opener of the fence open at the end of `body`

  const flush = () => {
    parts.push({
      body,
      separator: parts.length === 0 ? "\n" : separator,
      reopen,
      close: fence !== undefined,
    });
    body = "";
    started = false;
    reopen = fence;
  };
  const room = (fenceAfter: string | undefined) =>
    maxChars - (reopen === undefined ? 0 : reopen.length + 1) - (fenceAfter === undefined ? 0 : 4);

  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index += 1) {
    let line = lines[index]!;
    let lineSeparator: "\n" | "" = "\n";
    while (true) {
      const fenceAfter = isFence(line) ? (fence === undefined ? openerOf(line) : undefined) : fence;
      const added = (started ? 1 : 0) + line.length;
      if (body.length + added <= room(fenceAfter)) {
        body = started ? `${body}\n${line}` : line;
        if (!started) separator = lineSeparator;
        started = true;
        fence = fenceAfter;
        break;
      }
      if (started) {
        flush();
        continue;
      }
      // The line alone does not fit: cut it (a line this long is never a fence line).
      let cut = room(fence);
      const code = line.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // never split a surrogate pair
      body = line.slice(0, cut);
      separator = lineSeparator;
      started = true;
      flush();
      line = line.slice(cut);
      lineSeparator = "";
    }
  }
  if (started) flush();
  return parts;
};

/** Cut `text` into messages of at most `maxChars` characters, fences balanced in each. */
export const splitMessage = (text: string, options: { maxChars?: number } = {}): string[] =>
  splitMessageParts(text, options).map(renderPart);
