// How a reply goes out on a surface: as it is when it fits one message, as a few balanced chunks when
// it is longer, and as a file attachment (with a one-line note) beyond that, so a long answer never
// floods a thread.
import { splitMessage } from "../text/splitMessage.ts";

export interface ReplyPlan {
  /** Messages to post, in order. */
  readonly messages: readonly string[];
  /** The whole reply as a file, posted with the last message, when it would take too many messages. */
  readonly file?: { readonly name: string; readonly data: Uint8Array };
}

export interface ReplyLimits {
  /** Characters per message (default 2,000). */
  readonly maxChars?: number;
  /** Messages before the reply goes as a file instead (default 4). */
  readonly maxChunks?: number;
  readonly fileName?: string;
}

export const planReply = (text: string, limits: ReplyLimits = {}): ReplyPlan => {
  if (text.trim() === "") return { messages: [] };
  const maxChars = limits.maxChars ?? 2_000;
  const chunks = splitMessage(text, { maxChars });
  if (chunks.length <= (limits.maxChunks ?? 4)) return { messages: chunks };
  const fileName = limits.fileName ?? "reply.md";
  return {
    messages: [
      `The reply is ${text.length.toLocaleString("en-US")} characters long (${chunks.length} messages): attached as ${fileName}.`,
    ],
    file: { name: fileName, data: new TextEncoder().encode(text) },
  };
};
