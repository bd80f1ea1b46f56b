// Alerts posted by the bot itself in a chat channel, through the Surface port (on Discord: the
// discord.js surface, which queues around Discord's rate limits on its own). The sink only reads
// the outcome: an HTTP status of 4xx other than 429 (a channel it may not post in, a deleted
// channel) is permanent, anything else is tried again. The core never imports discord.js.
import { isTroupeError } from "../../errors/TroupeError.ts";
import type { Surface } from "../../surface/Surface.ts";
import type { OutboundMessage, SendResult, Sink } from "../Sink.ts";

export interface SurfaceSinkOptions {
  readonly name?: string;
  readonly surface: Surface;
  /** The channel the alerts go to. */
  readonly channelId: string;
  /** Who the posts appear to come from. */
  readonly identity?: { readonly name: string; readonly avatarUrl?: string };
}

const statusOf = (error: unknown): number | undefined => {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === "number" ? status : undefined;
};

export const createSurfaceSink = (options: SurfaceSinkOptions): Sink => ({
  name: options.name ?? "discord-channel",
  format: { maxLength: Math.min(options.surface.maxMessageChars, 2_000), style: "markdown" },
  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    try {
      await options.surface.post(
        options.channelId,
        { content: message.text, ...(options.identity ? { identity: options.identity } : {}) },
        signal,
      );
      return { kind: "ok" };
    } catch (error) {
      if (signal.aborted) throw error;
      const reason = `${options.surface.kind} refused the post: ${error instanceof Error ? error.message : String(error)}`;
      const status = statusOf(error);
      const permanent = isTroupeError(error)
        ? !error.transient
        : status !== undefined && status >= 400 && status < 500 && status !== 429;
      if (permanent) return { kind: "permanent", reason };
      return { kind: "retry", reason };
    }
  },
});
