// Alerts to a Discord channel through a webhook URL (Discord's "Execute Webhook": POST
// /api/webhooks/<id>/<token>?wait=true with { content }). 2,000 characters per message, markdown,
// mentions disabled so an alert can never ping @everyone. A 429 waits for Discord's retry_after;
// 404 (webhook deleted) and 401 (bad token) are permanent. The URL holds the webhook's token, so
// it is never logged or put in an error.
import { TroupeError } from "../../errors/TroupeError.ts";
import type { OutboundMessage, SendResult, Sink } from "../Sink.ts";
import { excerpt, post, resultOf, secretsOf, withoutSecrets } from "./httpResult.ts";

export interface DiscordWebhookSinkOptions {
  readonly name?: string;
  /** https://discord.com/api/webhooks/<id>/<token> (or a stand-in's URL in tests). */
  readonly url: string;
  /** Shown as the message's author. */
  readonly username?: string;
  readonly fetch?: typeof fetch;
}

export const DISCORD_MESSAGE_LIMIT = 2_000;

export const createDiscordWebhookSink = (options: DiscordWebhookSinkOptions): Sink => {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new TroupeError("InvalidNotifyConfig", "the Discord webhook URL is not a URL", {
      data: { field: "url" },
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new TroupeError("InvalidNotifyConfig", "the Discord webhook URL must be http(s)", {
      data: { field: "url" },
    });
  url.searchParams.set("wait", "true");
  const target = url.toString();
  const secrets = secretsOf(target);
  return {
    name: options.name ?? "discord",
    format: { maxLength: DISCORD_MESSAGE_LIMIT, style: "markdown" },
    async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
      const answer = await post(
        target,
        {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            content: message.text,
            ...(options.username ? { username: options.username } : {}),
            allowed_mentions: { parse: [] },
          }),
        },
        signal,
        options.fetch,
      );
      if ("error" in answer) return { kind: "retry", reason: `Discord unreachable: ${answer.error}` };
      const body = answer.body as { message?: string; code?: number; retry_after?: number } | undefined;
      const result = withoutSecrets(
        resultOf("Discord", answer, excerpt(body?.message ?? answer.text)),
        secrets,
      );
      // Discord's body says how long to wait, more precisely than the header.
      if (answer.status === 429 && typeof body?.retry_after === "number")
        return { kind: "retry", reason: "Discord rate limit", afterMs: Math.ceil(body.retry_after * 1_000) };
      return result;
    },
  };
};
