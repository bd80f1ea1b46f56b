// KakaoTalk OAuth for the "send to me" sink: the access and refresh tokens live in the outbox's
// store, written together. An access token is refreshed ahead of its expiry (and after a -401)
// through one single-flight refresh: one promise per process, plus the store's refresh lock across
// processes (a Redis key on Redis, a row on SQLite), and a refresh is skipped when another process
// already stored newer tokens. A new refresh token is kept only when Kakao returns one. An invalid
// grant (KOE322 and friends) means a person must log in again (`troupe kakao login`).
import { TroupeError } from "../../errors/TroupeError.ts";
import { type Logger, silentLogger } from "../../log/Logger.ts";
import type { KakaoTokenStore, KakaoTokens } from "../OutboxStore.ts";
import { excerpt, post } from "./httpResult.ts";

export const KAKAO_AUTH_URL = "https://kauth.kakao.com";
export const KAKAO_API_URL = "https://kapi.kakao.com";

export interface KakaoAppOptions {
  /** The app's REST API key (client_id). */
  readonly restApiKey: string;
  /** The client secret, when the app has one switched on. */
  readonly clientSecret?: string;
  /** Default https://kauth.kakao.com; a stand-in's URL in tests. */
  readonly authUrl?: string;
  readonly fetch?: typeof fetch;
}

export type RefreshOutcome =
  | { readonly ok: true; readonly tokens: KakaoTokens }
  /** `invalid_grant`: a person must authorise again; `unavailable`: try later. */
  | { readonly ok: false; readonly kind: "invalid_grant" | "unavailable"; readonly reason: string };

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  refresh_token_expires_in?: number;
  error?: string;
  error_code?: string;
  error_description?: string;
}

const base = (url: string | undefined, fallback: string) => (url ?? fallback).replace(/\/+$/, "");

/** The address a person opens to let the app send them messages (`talk_message` consent). */
export const kakaoAuthorizeUrl = (options: KakaoAppOptions & { readonly redirectUri: string }): string => {
  const url = new URL(`${base(options.authUrl, KAKAO_AUTH_URL)}/oauth/authorize`);
  url.searchParams.set("client_id", options.restApiKey);
  url.searchParams.set("redirect_uri", options.redirectUri);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", "talk_message");
  return url.toString();
};

const tokenRequest = async (
  options: KakaoAppOptions,
  params: Record<string, string>,
  signal: AbortSignal,
): Promise<{ status: number; body: TokenAnswer } | { error: string }> => {
  const form = new URLSearchParams({ ...params, client_id: options.restApiKey });
  if (options.clientSecret) form.set("client_secret", options.clientSecret);
  const answer = await post(
    `${base(options.authUrl, KAKAO_AUTH_URL)}/oauth/token`,
    { headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" }, body: form.toString() },
    signal,
    options.fetch,
  );
  if ("error" in answer) return { error: answer.error };
  return { status: answer.status, body: (answer.body ?? {}) as TokenAnswer };
};

const describe = (body: TokenAnswer) =>
  excerpt([body.error_code, body.error, body.error_description].filter(Boolean).join(" "));

/** Exchange the code from the redirect for tokens (the first authorisation). */
export const exchangeKakaoCode = async (
  options: KakaoAppOptions & { readonly redirectUri: string; readonly code: string; readonly now?: number },
  signal: AbortSignal = AbortSignal.timeout(15_000),
): Promise<KakaoTokens> => {
  const answer = await tokenRequest(
    options,
    { grant_type: "authorization_code", redirect_uri: options.redirectUri, code: options.code },
    signal,
  );
  if ("error" in answer)
    throw new TroupeError("InvalidNotifyConfig", `cannot reach Kakao's token endpoint: ${answer.error}`);
  const { body } = answer;
  if (answer.status !== 200 || !body.access_token || !body.refresh_token)
    throw new TroupeError(
      "InvalidNotifyConfig",
      `Kakao refused the authorisation code (${answer.status}${describe(body) ? `: ${describe(body)}` : ""}); open the address again for a fresh code`,
    );
  const now = options.now ?? Date.now();
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    accessExpiresAt: now + (body.expires_in ?? 21_599) * 1_000,
    refreshExpiresAt:
      body.refresh_token_expires_in === undefined ? null : now + body.refresh_token_expires_in * 1_000,
    updatedAt: now,
  };
};

export interface KakaoAuthOptions extends KakaoAppOptions {
  /** The sink's name: the key of its tokens in the store. */
  readonly sink: string;
  readonly store: KakaoTokenStore;
  /** Refresh when the access token has less than this left (default 5 minutes). */
  readonly refreshAheadMs?: number;
  /** Warn when the refresh token has less than this left (default 7 days). */
  readonly warnRefreshWithinMs?: number;
  /** Told (at most once a day) when the refresh token is about to expire. */
  readonly onRefreshExpiring?: (daysLeft: number, expiresAt: number) => void;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export class KakaoAuth {
  readonly #options: KakaoAuthOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly refreshAheadMs: number;
  #cached: KakaoTokens | undefined;
  #refreshing: Promise<RefreshOutcome> | undefined;
  #warnedAt = 0;
  /** Refreshes this process sent to Kakao (for tests and metrics). */
  refreshes = 0;

  constructor(options: KakaoAuthOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.refreshAheadMs = options.refreshAheadMs ?? 5 * 60_000;
  }

  /** The tokens as last seen (without asking the store): for metrics. */
  get cached(): KakaoTokens | undefined {
    return this.#cached;
  }

  /** The stored tokens (undefined when nobody has logged in yet). */
  async load(): Promise<KakaoTokens | undefined> {
    this.#cached = await this.#options.store.loadTokens(this.#options.sink);
    if (this.#cached) this.#checkRefreshExpiry(this.#cached);
    return this.#cached;
  }

  /** Tokens good for a send now: refreshed first when the access token is about to expire. */
  async usable(): Promise<RefreshOutcome> {
    const tokens = this.#cached ?? (await this.load());
    if (!tokens)
      return {
        ok: false,
        kind: "invalid_grant",
        reason: "no Kakao tokens are stored: run troupe kakao login",
      };
    if (tokens.accessExpiresAt - this.#now() > this.refreshAheadMs) return { ok: true, tokens };
    return this.refresh(tokens.accessToken);
  }

  /**
   * Refresh because `staleAccessToken` expired or was refused. Concurrent callers share one
   * refresh; when the store already holds a different, fresh access token, it is used as is.
   */
  refresh(staleAccessToken: string): Promise<RefreshOutcome> {
    this.#refreshing ??= this.#refresh(staleAccessToken).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(stale: string): Promise<RefreshOutcome> {
    const { store, sink } = this.#options;
    const fresh = (tokens: KakaoTokens | undefined): boolean =>
      tokens !== undefined &&
      tokens.accessToken !== stale &&
      tokens.accessExpiresAt - this.#now() > this.refreshAheadMs;
    const release = await store.acquireRefreshLock(sink, 20_000, 20_000);
    try {
      const stored = await store.loadTokens(sink);
      if (stored && fresh(stored)) {
        this.#cached = stored;
        return { ok: true, tokens: stored };
      }
      if (!stored)
        return {
          ok: false,
          kind: "invalid_grant",
          reason: "no Kakao tokens are stored: run troupe kakao login",
        };
      if (!release)
        return { ok: false, kind: "unavailable", reason: "another process holds the Kakao refresh lock" };
      this.refreshes += 1;
      const answer = await tokenRequest(
        this.#options,
        { grant_type: "refresh_token", refresh_token: stored.refreshToken },
        AbortSignal.timeout(15_000),
      );
      if ("error" in answer)
        return {
          ok: false,
          kind: "unavailable",
          reason: `Kakao's token endpoint unreachable: ${answer.error}`,
        };
      const { body, status } = answer;
      if (status !== 200 || !body.access_token) {
        const invalid =
          body.error === "invalid_grant" || /^KOE3(20|22)$/.test(body.error_code ?? "") || status === 401;
        const reason = `Kakao refused the refresh (${status}${describe(body) ? `: ${describe(body)}` : ""})`;
        return invalid && status < 500
          ? { ok: false, kind: "invalid_grant", reason }
          : { ok: false, kind: "unavailable", reason };
      }
      const now = this.#now();
      const tokens: KakaoTokens = {
        accessToken: body.access_token,
        // Kakao sends a new refresh token only when the old one is near its end: keep the old otherwise.
        refreshToken: body.refresh_token ?? stored.refreshToken,
        accessExpiresAt: now + (body.expires_in ?? 21_599) * 1_000,
        refreshExpiresAt:
          body.refresh_token && body.refresh_token_expires_in !== undefined
            ? now + body.refresh_token_expires_in * 1_000
            : stored.refreshExpiresAt,
        updatedAt: now,
      };
      await store.saveTokens(sink, tokens);
      this.#cached = tokens;
      this.#logger.log("info", "kakao: access token refreshed", {
        sink,
        refreshTokenRotated: body.refresh_token !== undefined,
        accessExpiresAt: new Date(tokens.accessExpiresAt).toISOString(),
      });
      this.#checkRefreshExpiry(tokens);
      return { ok: true, tokens };
    } finally {
      await release?.();
    }
  }

  #checkRefreshExpiry(tokens: KakaoTokens): void {
    if (tokens.refreshExpiresAt === null) return;
    const left = tokens.refreshExpiresAt - this.#now();
    const within = this.#options.warnRefreshWithinMs ?? 7 * 86_400_000;
    if (left >= within || this.#now() - this.#warnedAt < 86_400_000) return;
    this.#warnedAt = this.#now();
    const daysLeft = Math.max(0, Math.floor(left / 86_400_000));
    this.#logger.log("warn", "kakao: the refresh token expires soon; run troupe kakao login before it does", {
      sink: this.#options.sink,
      daysLeft,
    });
    this.#options.onRefreshExpiring?.(daysLeft, tokens.refreshExpiresAt);
  }
}
