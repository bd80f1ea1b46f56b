// A Kakao stand-in on 127.0.0.1 speaking both of the APIs the KakaoTalk memo sink uses, so one URL
// serves as kauth (OAuth: GET /oauth/authorize, POST /oauth/token) and as kapi (POST
// /v2/api/talk/memo/default/send). It checks what Kakao checks — the REST API key, the Bearer
// access token, a form body with a text template_object of at most 200 characters and a link — and
// answers in Kakao's shapes: { result_code: 0 }, { code: -401 } for an unknown access token,
// { error: "invalid_grant", error_code: "KOE322" } for a refused refresh token. A test can revoke
// access tokens, rotate or refuse refresh tokens, queue error answers (-402, -532, …) and count
// refreshes. Tokens are unique strings, so a test can look for them in any output.
import { randomBytes } from "node:crypto";
import { type StandInServer, sendJson, startStandInServer } from "./standInServer.ts";

export interface KakaoStandIn extends StandInServer {
  readonly restApiKey: string;
  readonly memos: { text: string; link: string; accessToken: string }[];
  /** Refresh requests Kakao answered (good or not). */
  refreshes: number;
  /** Issue a fresh pair, as a first login would (returns the token endpoint's answer). */
  issue(): {
    access_token: string;
    refresh_token: string;
    expires_in: number;
    refresh_token_expires_in: number;
  };
  /** Every access token issued so far stops working (-401), as after expiry or revocation. */
  revokeAccessTokens(): void;
  /** How refreshes are answered: "keep" (no new refresh token), "rotate" (a new one), "invalid_grant" (KOE322). */
  refreshMode: "keep" | "rotate" | "invalid_grant";
  /** Answers for the next memo sends, in order: HTTP status and Kakao code. */
  readonly memoErrors: { status: number; code: number; msg: string }[];
  /** Codes handed out by GET /oauth/authorize, exchangeable once. */
  readonly codes: Set<string>;
  readonly refreshTokens: Set<string>;
}

export const startKakaoStandIn = async (): Promise<KakaoStandIn> => {
  const restApiKey = "stand-in-rest-api-key";
  const accessTokens = new Set<string>();
  const refreshTokens = new Set<string>();
  const codes = new Set<string>();
  const memos: KakaoStandIn["memos"] = [];
  const memoErrors: KakaoStandIn["memoErrors"] = [];
  let serial = 0;
  const state = { refreshes: 0, refreshMode: "keep" as KakaoStandIn["refreshMode"] };
  const access = () => {
    serial += 1;
    const token = `access-${serial}-${randomBytes(6).toString("hex")}`;
    accessTokens.add(token);
    return token;
  };
  const refresh = () => {
    serial += 1;
    const token = `refresh-${serial}-${randomBytes(6).toString("hex")}`;
    refreshTokens.add(token);
    return token;
  };
  const issue = () => ({
    token_type: "bearer",
    access_token: access(),
    refresh_token: refresh(),
    expires_in: 21_599,
    refresh_token_expires_in: 5_183_999,
    scope: "talk_message",
  });

  const server = await startStandInServer((request, response, body) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    if (request.method === "GET" && url.pathname === "/oauth/authorize") {
      if (url.searchParams.get("client_id") !== restApiKey)
        return sendJson(response, 401, { error: "invalid_client", error_code: "KOE101" });
      serial += 1;
      const code = `code-${serial}`;
      codes.add(code);
      const redirect = new URL(url.searchParams.get("redirect_uri") ?? "http://127.0.0.1/");
      redirect.searchParams.set("code", code);
      response.writeHead(302, { location: redirect.toString() }).end();
      return;
    }
    if (request.method === "POST" && url.pathname === "/oauth/token") {
      const form = new URLSearchParams(body);
      if (form.get("client_id") !== restApiKey)
        return sendJson(response, 401, {
          error: "invalid_client",
          error_description: "Not exist client_id",
          error_code: "KOE101",
        });
      if (form.get("grant_type") === "authorization_code") {
        const code = form.get("code") ?? "";
        if (!codes.delete(code))
          return sendJson(response, 400, {
            error: "invalid_grant",
            error_description: "authorization code not found",
            error_code: "KOE320",
          });
        return sendJson(response, 200, issue());
      }
      if (form.get("grant_type") === "refresh_token") {
        state.refreshes += 1;
        const given = form.get("refresh_token") ?? "";
        if (state.refreshMode === "invalid_grant" || !refreshTokens.has(given))
          return sendJson(response, 400, {
            error: "invalid_grant",
            error_description: "refresh_token not found",
            error_code: "KOE322",
          });
        const answer: Record<string, unknown> = {
          token_type: "bearer",
          access_token: access(),
          expires_in: 21_599,
        };
        if (state.refreshMode === "rotate") {
          refreshTokens.delete(given);
          answer.refresh_token = refresh();
          answer.refresh_token_expires_in = 5_183_999;
        }
        return sendJson(response, 200, answer);
      }
      return sendJson(response, 400, { error: "unsupported_grant_type", error_code: "KOE006" });
    }
    if (request.method === "POST" && url.pathname === "/v2/api/talk/memo/default/send") {
      const token = (request.headers.authorization ?? "").replace(/^Bearer /, "");
      if (!accessTokens.has(token))
        return sendJson(response, 401, { msg: "this access token does not exist", code: -401 });
      const next = memoErrors.shift();
      if (next) return sendJson(response, next.status, { msg: next.msg, code: next.code });
      if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded"))
        return sendJson(response, 400, { msg: "content-type must be form-urlencoded", code: -2 });
      let template: { object_type?: string; text?: string; link?: { web_url?: string } };
      try {
        template = JSON.parse(new URLSearchParams(body).get("template_object") ?? "");
      } catch {
        return sendJson(response, 400, { msg: "template_object is not JSON", code: -2 });
      }
      if (
        template.object_type !== "text" ||
        typeof template.text !== "string" ||
        template.text.length > 200 ||
        !template.link?.web_url
      )
        return sendJson(response, 400, { msg: "invalid template_object", code: -2 });
      memos.push({ text: template.text, link: template.link.web_url, accessToken: token });
      return sendJson(response, 200, { result_code: 0 });
    }
    sendJson(response, 404, { msg: "not found", code: -9 });
  });
  // defineProperties, not Object.assign: the counters below are live getters and setters.
  return Object.defineProperties(
    server,
    Object.getOwnPropertyDescriptors({
      restApiKey,
      memos,
      memoErrors,
      codes,
      refreshTokens,
      issue,
      revokeAccessTokens: () => accessTokens.clear(),
      get refreshes() {
        return state.refreshes;
      },
      set refreshes(value: number) {
        state.refreshes = value;
      },
      get refreshMode() {
        return state.refreshMode;
      },
      set refreshMode(value: KakaoStandIn["refreshMode"]) {
        state.refreshMode = value;
      },
    }),
  ) as KakaoStandIn;
};
