// `troupe kakao login` through main(), against the Kakao stand-in: it prints the authorize address
// built from the configured key and redirect URI, takes the redirected address from stdin, and
// stores both tokens in the host's store (here the embedded SQLite file) without printing them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { openSqliteOutboxStore } from "@troupe/runtime/sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type KakaoStandIn, startKakaoStandIn } from "../../../../test/harness/kakaoStandIn.ts";
import { main } from "../cli/main.ts";

let kakao: KakaoStandIn;
let dir: string;
beforeEach(async () => {
  kakao = await startKakaoStandIn();
  dir = mkdtempSync(join(tmpdir(), "troupe-kakao-login-"));
});
afterEach(async () => {
  await kakao.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string>) => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = main(args, { stdin, stdout, stderr, env });
  return { stdin, stdout, code, out: () => out, err: () => err };
};

describe("troupe kakao login", () => {
  it("walks through the first authorisation and stores the tokens", async () => {
    const env = {
      KAKAO_REST_API_KEY: kakao.restApiKey,
      KAKAO_REDIRECT_URI: "http://127.0.0.1:9/callback",
      KAKAO_AUTH_URL: kakao.url,
      TROUPE_DATA_DIR: dir,
    };
    const session = run(["kakao", "login"], env);
    // Like a person: open the printed address, follow Kakao's redirect, paste where it led.
    const address = await new Promise<string>((resolve) => {
      const look = () => {
        const match = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)/.exec(session.out());
        if (match) resolve(match[1]!);
        else session.stdout.once("data", () => setImmediate(look));
      };
      look();
    });
    expect(address).toContain(`client_id=${kakao.restApiKey}`);
    expect(address).toContain(`redirect_uri=${encodeURIComponent(env.KAKAO_REDIRECT_URI)}`);
    expect(address).toContain("scope=talk_message");
    const redirected = (await fetch(address, { redirect: "manual" })).headers.get("location")!;
    session.stdin.write(`${redirected}\n`);
    expect(await session.code).toBe(0);
    expect(session.out()).toContain(`Saved the Kakao tokens in SQLite ${join(dir, "default.sqlite")}`);
    const store = openSqliteOutboxStore({ path: join(dir, "default.sqlite") });
    const tokens = await store.loadTokens("kakao");
    await store.close();
    expect(tokens!.accessToken).toMatch(/^access-/);
    expect(session.out()).not.toContain(tokens!.accessToken);
    expect(session.out()).not.toContain(tokens!.refreshToken);
  });

  it("says which setting is missing", async () => {
    const session = run(["kakao", "login"], { TROUPE_DATA_DIR: dir });
    expect(await session.code).toBe(2);
    expect(session.err()).toContain("KAKAO_REST_API_KEY is not set");
  });
});
