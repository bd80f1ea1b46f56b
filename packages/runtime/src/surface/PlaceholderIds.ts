// The ids the file-drop fallback hands out for threads and posts it could not make yet ("spooled-42"),
// and the real ids they stand for once the replay made them — both ways: outgoing calls naming a
// placeholder reach the real thread or message, and inbound messages and reactions there carry the
// placeholder the caller knows. A thread the surface refused stands for its parent channel instead.
import type { InboundMessage, InboundReaction, SurfaceMessageRef } from "./Surface.ts";

const PREFIX = "spooled-";

export const isPlaceholder = (id: string): boolean => id.startsWith(PREFIX);

export class PlaceholderIds {
  /** Placeholder → the real id (or the channel to use instead). */
  readonly #real = new Map<string, string>();
  /** Real id → the placeholder the caller knows. */
  readonly #known = new Map<string, string>();
  /** Thread placeholder → the channel it was started in. */
  readonly #parent = new Map<string, string>();

  /** The placeholder of the operation with this sequence number. */
  for(seq: number): string {
    return `${PREFIX}${seq}`;
  }

  /** A placeholder's real id once known; any other id as it is. */
  real(id: string): string {
    return this.#real.get(id) ?? id;
  }

  realRef(ref: SurfaceMessageRef): SurfaceMessageRef {
    return { channelId: this.real(ref.channelId), messageId: this.real(ref.messageId) };
  }

  /** The replay made it: `placeholder` is `id` from now on, both ways. */
  learn(placeholder: string, id: string): void {
    this.#real.set(placeholder, id);
    this.#known.set(id, placeholder);
  }

  /** Posts to a thread that will never exist go to the channel it was to be started in. */
  threadRefused(placeholder: string, channelId: string): void {
    this.#real.set(placeholder, this.real(channelId));
  }

  threadStarted(placeholder: string, channelId: string): void {
    this.#parent.set(placeholder, channelId);
  }

  parentOf(threadId: string): string | undefined {
    return this.#parent.get(threadId);
  }

  inboundMessage(message: InboundMessage): InboundMessage {
    return {
      ...message,
      channelId: this.#knownAs(message.channelId),
      threadId: message.threadId === undefined ? undefined : this.#knownAs(message.threadId),
    };
  }

  inboundReaction(reaction: InboundReaction): InboundReaction {
    return {
      ...reaction,
      channelId: this.#knownAs(reaction.channelId),
      messageId: this.#knownAs(reaction.messageId),
    };
  }

  #knownAs(id: string): string {
    return this.#known.get(id) ?? id;
  }
}
