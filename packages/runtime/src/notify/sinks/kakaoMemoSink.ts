// Alerts to a person's own KakaoTalk ("send to me": POST /v2/api/talk/memo/default/send with a
// text template_object). Templates take 200 characters, so long alerts arrive as a short digest
// whose link button opens the full text. Kakao's answers, read by their `code`:
//   -401 (expired or revoked access token): refresh once (single-flight) and send again;
//   -402 (talk_message consent missing) or a refused refresh (KOE322): auth_expired — the sink is
//        held until `troupe kakao login`;
//   -10, -532, -533, -536 (quota): park until the quota resets (midnight in Seoul), not a failure;
//   -1, -7, -603, -9798 and 5xx: retry; other refusals are permanent.
import type { Logger } from "../../log/Logger.ts";
import type { KakaoTokenStore } from "../OutboxStore.ts";
import type { OutboundMessage, SendResult, Sink } from "../Sink.ts";
import { excerpt, post, retryAfterMs } from "./httpResult.ts";
import { KAKAO_API_URL, type KakaoAppOptions, KakaoAuth } from "./KakaoAuth.ts";

export interface KakaoMemoSinkOptions extends KakaoAppOptions {
  readonly name?: string;
  readonly store: KakaoTokenStore;
  /** Default https://kapi.kakao.com; a stand-in's URL in tests. */
  readonly apiUrl?: string;
  /** The template's link when the alert has none (Kakao requires one): e.g. your Grafana. */
  readonly defaultLink?: string;
  /** More chunks than this and the alert goes as a digest with a link (default 2). */
  readonly digestAbove?: number;
  readonly refreshAheadMs?: number;
  readonly onRefreshExpiring?: (daysLeft: number, expiresAt: number) => void;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export const KAKAO_TEXT_LIMIT = 200;
const QUOTA_CODES = new Set([-10, -532, -533, -536]);
const TRANSIENT_CODES = new Set([-1, -7, -603, -9798]);

/** The next midnight in Seoul (Kakao's quotas are daily, in KST = UTC+9, no DST). */
export const nextKstMidnight = (now: number): number => {
  const kst = now + 9 * 3_600_000;
  return kst - (kst % 86_400_000) + 86_400_000 - 9 * 3_600_000;
};

export interface KakaoMemoSink extends Sink {
  readonly auth: KakaoAuth;
}

export const createKakaoMemoSink = (options: KakaoMemoSinkOptions): KakaoMemoSink => {
  const name = options.name ?? "kakao";
  const now = options.now ?? Date.now;
  const auth = new KakaoAuth({ ...options, sink: name });
  const endpoint = `${(options.apiUrl ?? KAKAO_API_URL).replace(/\/+$/, "")}/v2/api/talk/memo/default/send`;
  /** The tokens' updatedAt when the sink was last refused: newer tokens mean someone logged in. */
  let refusedAt: number | undefined;

  const sendWith = async (accessToken: string, message: OutboundMessage, signal: AbortSignal) => {
    const link = message.link ?? options.defaultLink ?? "https://www.kakao.com";
    const template = {
      object_type: "text",
      text: message.text,
      link: { web_url: link, mobile_web_url: link },
      button_title: "Open",
    };
    return post(
      endpoint,
      {
        headers: {
          authorization: `Bearer ${accessToken}`,
          "content-type": "application/x-www-form-urlencoded;charset=utf-8",
        },
        body: new URLSearchParams({ template_object: JSON.stringify(template) }).toString(),
      },
      signal,
      options.fetch,
    );
  };

  const refused = async (reason: string): Promise<SendResult> => {
    refusedAt = (await auth.load())?.updatedAt ?? 0;
    return { kind: "auth_expired", reason };
  };

  return {
    name,
    auth,
    format: { maxLength: KAKAO_TEXT_LIMIT, style: "plain", digestAbove: options.digestAbove ?? 2 },
    async send(message, signal) {
      let usable = await auth.usable();
      for (let attempt = 1; ; attempt += 1) {
        if (!usable.ok)
          return usable.kind === "invalid_grant"
            ? refused(usable.reason)
            : { kind: "retry", reason: usable.reason };
        const answer = await sendWith(usable.tokens.accessToken, message, signal);
        if ("error" in answer) return { kind: "retry", reason: `Kakao unreachable: ${answer.error}` };
        const body = (answer.body ?? {}) as { result_code?: number; code?: number; msg?: string };
        if (answer.status === 200 && (body.result_code === undefined || body.result_code === 0))
          return { kind: "ok" };
        const code = body.code;
        const detail = `Kakao answered ${answer.status}${code === undefined ? "" : ` (${code})`}${body.msg ? `: ${excerpt(body.msg)}` : ""}`;
        if (code === -401 || (answer.status === 401 && code === undefined)) {
          if (attempt > 1) return refused(`${detail}, even after a refresh`);
          usable = await auth.refresh(usable.tokens.accessToken);
          continue;
        }
        if (code === -402) return refused(`${detail}: the talk_message consent is missing`);
        if (code !== undefined && QUOTA_CODES.has(code)) {
          const after = retryAfterMs(answer.headers.get("retry-after"));
          return {
            kind: "quota",
            reason: detail,
            resetAt: after === undefined ? nextKstMidnight(now()) : now() + after,
          };
        }
        if (
          answer.status >= 500 ||
          answer.status === 429 ||
          (code !== undefined && TRANSIENT_CODES.has(code))
        ) {
          const afterMs = retryAfterMs(answer.headers.get("retry-after"));
          return afterMs === undefined
            ? { kind: "retry", reason: detail }
            : { kind: "retry", reason: detail, afterMs };
        }
        return { kind: "permanent", reason: detail };
      }
    },
    async reauthorised() {
      const tokens = await auth.load();
      return tokens !== undefined && (refusedAt === undefined || tokens.updatedAt > refusedAt);
    },
  };
};
