// Alerts to a KakaoWork conversation through a workspace bot (POST /v1/messages.send with the
// bot's app key as a Bearer token and { conversation_id, text }). KakaoWork answers
// { success: false, error: { code, message } } for what it refuses; 401 means the app key was
// revoked, which a person must fix (the sink is held, its alerts kept); 429 waits.
import { TroupeError } from "../../errors/TroupeError.ts";
import { maskSecrets } from "../../log/redactSecrets.ts";
import type { OutboundMessage, SendResult, Sink } from "../Sink.ts";
import { excerpt, post, resultOf } from "./httpResult.ts";

export interface KakaoWorkSinkOptions {
  readonly name?: string;
  /** The bot's app key (a secret: never logged). */
  readonly appKey: string;
  readonly conversationId: string;
  /** Default https://api.kakaowork.com; a stand-in's URL in tests. */
  readonly apiUrl?: string;
  readonly fetch?: typeof fetch;
}

export const KAKAOWORK_TEXT_LIMIT = 1_000;

export const createKakaoWorkSink = (options: KakaoWorkSinkOptions): Sink => {
  if (options.appKey.trim() === "")
    throw new TroupeError("InvalidNotifyConfig", "the KakaoWork app key is empty", {
      data: { field: "appKey" },
    });
  if (options.conversationId.trim() === "")
    throw new TroupeError("InvalidNotifyConfig", "the KakaoWork conversation id is empty", {
      data: { field: "conversationId" },
    });
  const endpoint = `${(options.apiUrl ?? "https://api.kakaowork.com").replace(/\/+$/, "")}/v1/messages.send`;
  return {
    name: options.name ?? "kakaowork",
    format: { maxLength: KAKAOWORK_TEXT_LIMIT, style: "plain" },
    async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
      const answer = await post(
        endpoint,
        {
          headers: {
            authorization: `Bearer ${options.appKey}`,
            "content-type": "application/json; charset=utf-8",
          },
          body: JSON.stringify({ conversation_id: options.conversationId, text: message.text }),
        },
        signal,
        options.fetch,
      );
      if ("error" in answer) return { kind: "retry", reason: `KakaoWork unreachable: ${answer.error}` };
      const body = answer.body as
        | { success?: boolean; error?: { code?: string; message?: string } }
        | undefined;
      const detail = maskSecrets(
        excerpt(body?.error ? `${body.error.code}: ${body.error.message}` : answer.text),
        [options.appKey],
      );
      if (answer.status === 401)
        return { kind: "auth_expired", reason: `KakaoWork refused the app key: ${detail}` };
      if (answer.status >= 200 && answer.status < 300 && body?.success === false)
        return { kind: "permanent", reason: `KakaoWork refused the message: ${detail}` };
      return resultOf("KakaoWork", answer, detail);
    },
  };
};
