// `troupe kakao login`: the first KakaoTalk authorisation, walked through in the terminal. It
// prints Kakao's authorize address (with KAKAO_REST_API_KEY and KAKAO_REDIRECT_URI), reads the
// code — or the whole address Kakao redirected to — from stdin, exchanges it at the token
// endpoint, and stores both tokens in the host's store (the SQLite file, or Redis with REDIS_URL),
// where the running host's Kakao sink finds them and sends what it held. No token is printed.
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { TroupeError } from "@troupe/runtime";
import {
  exchangeKakaoCode,
  type KakaoTokenStore,
  kakaoAuthorizeUrl,
  type OutboxStore,
} from "@troupe/runtime/notify";
import { resolveHostConfig } from "../config/hostConfig.ts";

export interface KakaoIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
}

export const kakaoUsage = `troupe kakao login: authorise the KakaoTalk "send to me" sink.

Usage:
  troupe kakao login

Needs KAKAO_REST_API_KEY (the app's REST API key) and KAKAO_REDIRECT_URI (a redirect URI registered
for the app, with the "talk_message" consent item switched on); KAKAO_CLIENT_SECRET when the app
uses one. Prints an address to open; after you allow access, Kakao redirects the browser to the
redirect URI with ?code=…: paste that address (or the code) here. The tokens go to the host's store
(TROUPE_DATA_DIR or REDIS_URL, TROUPE_NAMESPACE), where a running troupe picks them up.
`;

const codeOf = (line: string): string => {
  const text = line.trim();
  if (/^https?:\/\//.test(text)) {
    const url = new URL(text);
    const error = url.searchParams.get("error");
    if (error)
      throw new TroupeError(
        "InvalidNotifyConfig",
        `Kakao did not authorise: ${error}${url.searchParams.get("error_description") ? ` (${url.searchParams.get("error_description")})` : ""}`,
      );
    return url.searchParams.get("code") ?? "";
  }
  return text;
};

const readLine = (stdin: Readable): Promise<string | undefined> =>
  new Promise((resolve) => {
    const rl = createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY });
    let answered = false;
    rl.once("line", (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once("close", () => {
      if (!answered) resolve(undefined);
    });
  });

const openStore = async (
  env: NodeJS.ProcessEnv,
): Promise<OutboxStore & KakaoTokenStore & { label: string }> => {
  const config = resolveHostConfig({}, env);
  if (config.store.kind === "redis") {
    const { RedisOutboxStore } = await import("@troupe/runtime/redis");
    const store = new RedisOutboxStore({ redis: config.store.url, namespace: config.namespace });
    return Object.assign(store, {
      label: `Redis ${config.store.redactedUrl}, namespace ${config.namespace}`,
    });
  }
  const { openSqliteOutboxStore } = await import("@troupe/runtime/sqlite");
  const store = openSqliteOutboxStore({ path: config.store.path });
  return Object.assign(store, { label: `SQLite ${config.store.path}` });
};

/** `troupe kakao <subcommand>`; returns the exit code (2 for a usage or configuration error). */
export const runKakao = async (args: readonly string[], io: KakaoIo): Promise<number> => {
  if (args[0] !== "login" || args.length > 1) {
    const wanted = args[0] === "--help" || args[0] === "-h" || args.length === 0;
    (wanted ? io.stdout : io.stderr).write(
      wanted ? kakaoUsage : `troupe kakao: unknown arguments "${args.join(" ")}"\n${kakaoUsage}`,
    );
    return wanted ? 0 : 2;
  }
  const env = io.env;
  const restApiKey = env.KAKAO_REST_API_KEY?.trim();
  const redirectUri = env.KAKAO_REDIRECT_URI?.trim();
  if (!restApiKey) {
    io.stderr.write(
      "troupe kakao login: KAKAO_REST_API_KEY is not set (the app's REST API key, from Kakao Developers)\n",
    );
    return 2;
  }
  if (!redirectUri) {
    io.stderr.write(
      "troupe kakao login: KAKAO_REDIRECT_URI is not set (a redirect URI registered for the app)\n",
    );
    return 2;
  }
  const app = {
    restApiKey,
    redirectUri,
    ...(env.KAKAO_CLIENT_SECRET ? { clientSecret: env.KAKAO_CLIENT_SECRET } : {}),
    ...(env.KAKAO_AUTH_URL ? { authUrl: env.KAKAO_AUTH_URL } : {}),
  };
  io.stdout.write(
    `1. Open this address in a browser and allow troupe to send you messages:\n\n   ${kakaoAuthorizeUrl(app)}\n\n` +
      `2. Kakao then opens ${redirectUri}?code=…\n   Paste that whole address (or only the code) here and press Enter:\n`,
  );
  const line = await readLine(io.stdin);
  if (line === undefined || codeOf(line) === "") {
    io.stderr.write("troupe kakao login: no code was given; nothing was stored\n");
    return 1;
  }
  const tokens = await exchangeKakaoCode({ ...app, code: codeOf(line) });
  const store = await openStore(env);
  try {
    await store.saveTokens("kakao", tokens);
    await store.clearHold("kakao");
  } finally {
    await store.close();
  }
  const until = (at: number | null) => (at === null ? "an unknown date" : new Date(at).toISOString());
  io.stdout.write(
    `Saved the Kakao tokens in ${store.label}.\n` +
      `The access token is refreshed by itself; the login lasts until ${until(tokens.refreshExpiresAt)} (run this again before then).\n`,
  );
  return 0;
};
