// The notifier's settings: each sink from its own variables, the order, quiet hours and batching;
// every bad field is one line naming its variable (an unknown sink names the sink), and the
// settings that are fine still work.
import { describe, expect, it } from "vitest";
import { resolveNotifyConfig } from "./notifyConfig.ts";

const resolve = (env: Record<string, string>) =>
  resolveNotifyConfig(env, { dataDir: "/srv/.troupe", cwd: "/srv" });

describe("resolveNotifyConfig", () => {
  it("has the file drop alone by default, in the data folder", () => {
    expect(resolve({})).toEqual({
      sinks: [{ name: "file", dir: "/srv/.troupe/alerts" }],
      quietHours: {},
      batchMs: {},
      tasks: "off",
      problems: [],
    });
  });

  it("reads every sink, the order, quiet hours and batching", () => {
    const config = resolve({
      TROUPE_NOTIFY_DISCORD_WEBHOOK: "https://discord.com/api/webhooks/1/abc",
      TROUPE_NOTIFY_KAKAOWORK_APP_KEY: "key",
      TROUPE_NOTIFY_KAKAOWORK_CONVERSATION: "42",
      KAKAO_REST_API_KEY: "rest",
      KAKAO_TOKEN_FILE: "tokens.json",
      TROUPE_NOTIFY_WEBHOOK_URL: "http://127.0.0.1:8080/hook",
      TROUPE_NOTIFY_FILE_DIR: "drop",
      TROUPE_NOTIFY_ORDER: "kakaowork, discord, kakao, file",
      TROUPE_QUIET_HOURS: "kakao=22:00-07:00",
      TROUPE_NOTIFY_TIMEZONE: "Asia/Seoul",
      TROUPE_NOTIFY_BATCH: "kakao=15m",
      TROUPE_NOTIFY_TASKS: "Failed",
    });
    expect(config.problems).toEqual([]);
    expect(config.sinks.map((sink) => sink.name)).toEqual(["kakaowork", "discord", "kakao", "file"]);
    expect(config.sinks[2]).toMatchObject({ restApiKey: "rest", tokenFile: "/srv/tokens.json" });
    expect(config.sinks[3]).toEqual({ name: "file", dir: "/srv/drop" });
    expect(config.quietHours).toEqual({ kakao: { from: 1_320, to: 420, timeZone: "Asia/Seoul" } });
    expect(config.batchMs).toEqual({ kakao: 900_000 });
    expect(config.tasks).toBe("failed");
  });

  it("names an unknown sink and every bad field, and keeps what is fine", () => {
    const config = resolve({
      TROUPE_NOTIFY_DISCORD_WEBHOOK: "not a url",
      TROUPE_NOTIFY_KAKAOWORK_APP_KEY: "key",
      TROUPE_NOTIFY_ORDER: "discrod,file",
      TROUPE_QUIET_HOURS: "file=25:00-07:00,slack=22:00-07:00",
      TROUPE_NOTIFY_BATCH: "file=soon",
      TROUPE_NOTIFY_TASKS: "sometimes",
    });
    expect(config.problems).toEqual([
      "TROUPE_NOTIFY_DISCORD_WEBHOOK must be a webhook URL (https://discord.com/api/webhooks/<id>/<token>)",
      "TROUPE_NOTIFY_KAKAOWORK_CONVERSATION is missing (the conversation id the bot posts to)",
      'TROUPE_NOTIFY_ORDER: unknown sink "discrod" (known: discord, kakaowork, kakao, webhook, file)',
      'TROUPE_QUIET_HOURS: unknown sink "slack" (configured: file)',
      'TROUPE_QUIET_HOURS (file) must look like 22:00-07:00 (two different times of day), got "25:00-07:00"',
      'TROUPE_NOTIFY_BATCH (file) must look like 5m or 1h, got "soon"',
      'TROUPE_NOTIFY_TASKS must be all, failed or off, got "sometimes"',
    ]);
    expect(config.sinks).toEqual([{ name: "file", dir: "/srv/.troupe/alerts" }]);
    expect(config.tasks).toBe("off");
  });

  it("takes webhook credentials over https or to this machine, refuses them in clear across the network, and never shows them", () => {
    const fine = [
      "https://ops:pa55word@hooks.example/alerts",
      "https://hooks.example/alerts?token=t0k3n",
      "http://ops:pa55word@127.0.0.1:8080/alerts",
      "http://hooks.example/alerts",
    ];
    for (const url of fine) {
      const config = resolve({ TROUPE_NOTIFY_WEBHOOK_URL: url });
      expect([url, config.problems]).toEqual([url, []]);
      expect(config.sinks[0]).toEqual({ name: "webhook", url });
    }
    const config = resolve({
      TROUPE_NOTIFY_WEBHOOK_URL: "http://ops:pa55word@hooks.example/alerts",
      TROUPE_NOTIFY_DISCORD_WEBHOOK: "http://discord.example/api/webhooks/1/t0k3n-of-the-hook",
      KAKAO_REST_API_KEY: "rest",
      KAKAO_API_URL: "ftp://user:kakao-pw@kapi.example",
    });
    expect(config.problems).toEqual([
      "TROUPE_NOTIFY_DISCORD_WEBHOOK carries credentials (user:password@, ?token= or a token in its path) over plain http to another machine, where the network can read them: use https://",
      'KAKAO_API_URL must be an http(s) URL, got "ftp://user:***@kapi.example/"',
      "TROUPE_NOTIFY_WEBHOOK_URL carries credentials (user:password@, ?token= or a token in its path) over plain http to another machine, where the network can read them: use https://",
    ]);
    expect(config.sinks.map((sink) => sink.name)).toEqual(["file"]);
  });
});
