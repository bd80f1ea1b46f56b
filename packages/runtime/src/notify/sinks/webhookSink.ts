// Alerts to any HTTP endpoint as JSON (the generic webhook): one POST per message with an
// `Idempotency-Key` header carrying the message's deterministic id, so a receiver that honours it
// sees each message once even when the outbox sends it again after a crash (an id with characters a
// header cannot carry has them as %XX, see escapeId.ts). A URL's `user:password@` is sent as Basic
// authorization; its credentials never appear in a reason.
import { TroupeError } from "../../errors/TroupeError.ts";
import { headerValueOf } from "../escapeId.ts";
import type { OutboundMessage, SendResult, Sink } from "../Sink.ts";
import { excerpt, post, resultOf, secretsOf, withoutSecrets } from "./httpResult.ts";

export interface WebhookSinkOptions {
  readonly name?: string;
  readonly url: string;
  /** Extra headers (e.g. an Authorization); never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Longest text per message (default 4,000). */
  readonly maxLength?: number;
  readonly fetch?: typeof fetch;
}

export const createWebhookSink = (options: WebhookSinkOptions): Sink => {
  try {
    const url = new URL(options.url);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http");
  } catch {
    throw new TroupeError("InvalidNotifyConfig", "the webhook URL must be an http(s) URL", {
      data: { field: "url" },
    });
  }
  const secrets = secretsOf(options.url, Object.values(options.headers ?? {}));
  return {
    name: options.name ?? "webhook",
    format: { maxLength: options.maxLength ?? 4_000, style: "plain" },
    async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
      const answer = await post(
        options.url,
        {
          headers: {
            ...options.headers,
            "content-type": "application/json",
            "idempotency-key": headerValueOf(message.id),
          },
          body: JSON.stringify(message),
        },
        signal,
        options.fetch,
      );
      if ("error" in answer) return { kind: "retry", reason: `webhook unreachable: ${answer.error}` };
      return withoutSecrets(resultOf("the webhook", answer, excerpt(answer.text)), secrets);
    },
  };
};
