// What the HTTP sinks share: a POST with the send's deadline, and the reading of an HTTP answer as a
// SendResult (2xx ok; 429 and 5xx retry, honouring Retry-After; other 4xx permanent). Error texts
// name the status and the service's own message, never the URL (a webhook URL is a credential).
// A URL's `user:password@` goes as a Basic Authorization header (fetch refuses such a URL), and a
// sink masks its own credentials in what a service answered, in case the service echoes them.
import { maskSecrets, secretsInUrl } from "../../log/redactSecrets.ts";
import type { SendResult } from "../Sink.ts";

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export const retryAfterMs = (header: string | null, now = Date.now()): number | undefined => {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1_000));
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};

export interface PostResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

/** POST and read the whole answer; a network failure becomes `{ error }` (retried by the caller). */
export const post = async (
  url: string,
  init: { headers: Record<string, string>; body: string },
  signal: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<PostResult | { readonly error: string }> => {
  try {
    const target = withoutUserInfo(url);
    const hasAuthorization = Object.keys(init.headers).some((name) => name.toLowerCase() === "authorization");
    const headers =
      target.authorization && !hasAuthorization
        ? { ...init.headers, authorization: target.authorization }
        : init.headers;
    const response = await fetchImpl(target.url, { method: "POST", headers, body: init.body, signal });
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, body, text };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const text = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    return { error: maskSecrets(text, secretsOf(url)) };
  }
};

/** The URL without `user:password@`, and those as a Basic Authorization header value. */
const withoutUserInfo = (url: string): { url: string; authorization?: string } => {
  const parsed = new URL(url);
  if (parsed.username === "" && parsed.password === "") return { url };
  const pair = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.toString(), authorization: `Basic ${Buffer.from(pair).toString("base64")}` };
};

/** A sink's credentials as they may come back in an answer: the URL's, its Basic form, header values. */
export const secretsOf = (url: string, headerValues: readonly string[] = []): string[] => {
  const secrets = [
    ...secretsInUrl(url),
    ...headerValues,
    ...headerValues.map((value) => value.replace(/^\S+\s+/, "")),
  ];
  const basic = withoutUserInfo(url).authorization;
  if (basic) secrets.push(basic.slice("Basic ".length));
  return secrets;
};

/** The result with the sink's own credentials masked in its reason. */
export const withoutSecrets = (result: SendResult, secrets: readonly string[]): SendResult =>
  result.kind === "ok" ? result : { ...result, reason: maskSecrets(result.reason, secrets) };

/** The common reading of an answer; `detail` is the service's message for error texts. */
export const resultOf = (service: string, answer: PostResult, detail: string): SendResult => {
  const { status } = answer;
  if (status >= 200 && status < 300) return { kind: "ok" };
  const reason = `${service} answered ${status}${detail ? `: ${detail}` : ""}`;
  if (status === 429)
    return { kind: "retry", reason, afterMs: retryAfterMs(answer.headers.get("retry-after")) ?? 1_000 };
  if (status === 408 || status >= 500) {
    const afterMs = retryAfterMs(answer.headers.get("retry-after"));
    return afterMs === undefined ? { kind: "retry", reason } : { kind: "retry", reason, afterMs };
  }
  return { kind: "permanent", reason };
};

/** A short, single-line excerpt of a service's message. */
export const excerpt = (text: unknown): string =>
  typeof text === "string" ? text.replace(/\s+/g, " ").slice(0, 200) : "";
