// A prompt over the model's context is never sent blindly (the server would silently drop its start):
// the oldest messages after the system prompt are left out first, then an over-long message is cut
// in its middle, and a note tells the model what is missing. Tokens are estimated from characters
// (about four per token), with a share of the context kept for the answer.
import type { ChatMessage } from "./Llm.ts";

export interface FitOptions {
  /** The model's context, in tokens. */
  readonly contextTokens: number;
  /** Tokens kept free for the answer (default: a quarter of the context, at least 256). */
  readonly reserveTokens?: number;
}

export interface Fitted {
  readonly messages: readonly ChatMessage[];
  /** Whether anything was left out or cut. */
  readonly truncated: boolean;
  /** Messages left out. */
  readonly dropped: number;
  /** Characters cut out of over-long messages. */
  readonly cutChars: number;
  /** The estimate of the prompt's tokens before fitting. */
  readonly estimatedTokens: number;
}

const CHARS_PER_TOKEN = 4;
const PER_MESSAGE = 4;

/** A rough token count (characters ÷ 4, plus a little per message). */
export const estimateTokens = (messages: readonly ChatMessage[]): number =>
  messages.reduce(
    (sum, message) =>
      sum +
      PER_MESSAGE +
      Math.ceil(
        (message.content.length + (message.toolCalls ? JSON.stringify(message.toolCalls).length : 0)) /
          CHARS_PER_TOKEN,
      ),
    0,
  );

const cutMiddle = (text: string, keepChars: number): { text: string; cut: number } => {
  if (text.length <= keepChars) return { text, cut: 0 };
  const cut = text.length - keepChars;
  const head = Math.ceil(keepChars / 2);
  const note = `\n[… ${cut} characters cut here to fit the model's context …]\n`;
  return { text: `${text.slice(0, head)}${note}${text.slice(text.length - (keepChars - head))}`, cut };
};

export const fitToContext = (messages: readonly ChatMessage[], options: FitOptions): Fitted => {
  const reserve = options.reserveTokens ?? Math.max(256, Math.floor(options.contextTokens / 4));
  const budget = Math.max(64, options.contextTokens - reserve);
  const estimatedTokens = estimateTokens(messages);
  if (estimatedTokens <= budget) {
    return { messages, truncated: false, dropped: 0, cutChars: 0, estimatedTokens };
  }
  let lead = 0;
  while (lead < messages.length - 1 && messages[lead]!.role === "system") lead += 1;
  const system = messages.slice(0, lead);
  let rest = messages.slice(lead);
  let dropped = 0;
  const noteFor = (count: number): ChatMessage => ({
    role: "system",
    content: `[Troupe: ${count} earlier message${count === 1 ? " was" : "s were"} left out to fit the model's context of ${options.contextTokens} tokens.]`,
  });
  const fits = (tail: readonly ChatMessage[], count: number) =>
    estimateTokens([...system, ...(count > 0 ? [noteFor(count)] : []), ...tail]) <= budget;
  // Leave out the oldest messages, never the last; a tool result never starts the kept part.
  while (rest.length > 1 && !fits(rest, dropped)) {
    rest = rest.slice(1);
    dropped += 1;
    while (rest.length > 1 && rest[0]!.role === "tool") {
      rest = rest.slice(1);
      dropped += 1;
    }
  }
  let kept: ChatMessage[] = [...system, ...(dropped > 0 ? [noteFor(dropped)] : []), ...rest];
  let cutChars = 0;
  // Still too long: cut the longest messages in their middle until it fits.
  while (estimateTokens(kept) > budget) {
    let longest = 0;
    kept.forEach((message, index) => {
      if (message.content.length > kept[longest]!.content.length) longest = index;
    });
    const over = (estimateTokens(kept) - budget) * CHARS_PER_TOKEN + 128;
    const message = kept[longest]!;
    const { text, cut } = cutMiddle(message.content, Math.max(0, message.content.length - over));
    if (cut === 0) break;
    cutChars += cut;
    kept = kept.map((item, index) => (index === longest ? { ...item, content: text } : item));
  }
  return { messages: kept, truncated: true, dropped, cutChars, estimatedTokens };
};
