// The Discord settings: environment over the DISCORD_CONFIG file, each bad field named in one line,
// and a token that never prints.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { isTroupeError } from "@troupe/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { resolveDiscordConfig } from "./discordConfig.ts";

const TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789";
const reasonOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (isTroupeError(error, "InvalidCommand")) return error.reason;
    throw error;
  }
  throw new Error("expected an InvalidCommand error");
};

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("resolveDiscordConfig", () => {
  it("is off without DISCORD_TOKEN", () => {
    expect(resolveDiscordConfig({ DISCORD_CHANNELS: "general" })).toBeUndefined();
  });

  it("reads the environment, with defaults", () => {
    const config = resolveDiscordConfig({
      DISCORD_TOKEN: TOKEN,
      DISCORD_CHANNELS: "research=research, code-review=code,general",
      DISCORD_GUILD_ID: "123456789012345678",
      DISCORD_APPROVER_ROLES: "maintainer, 223456789012345678",
      DISCORD_THREAD_ARCHIVE: "1w",
      DISCORD_API_URL: "http://127.0.0.1:9999/api/",
      DISCORD_PRIVACY: "on",
    })!;
    expect(config).toMatchObject({
      applicationId: undefined,
      guildId: "123456789012345678",
      approverRoles: ["maintainer", "223456789012345678"],
      threadAutoArchiveMinutes: 10080,
      apiUrl: "http://127.0.0.1:9999/api",
      privacy: true,
      catchUp: { maxPerChannel: 100, windowMs: 3_600_000 },
    });
    expect([...config.channels]).toEqual([
      ["research", "research"],
      ["code-review", "code"],
      ["general", null],
    ]);
    expect(config.token.reveal()).toBe(TOKEN);
    expect(`${config.token} ${JSON.stringify(config)} ${inspect(config)}`).not.toContain(TOKEN);
  });

  it("reads DISCORD_CONFIG, and the environment wins over it", () => {
    dir = mkdtempSync(join(tmpdir(), "troupe-discord-"));
    writeFileSync(
      join(dir, "discord.json"),
      JSON.stringify({
        guildId: "123456789012345678",
        channels: { research: "research", general: null },
        approverRoles: ["maintainer"],
        threadAutoArchive: "3d",
      }),
    );
    const config = resolveDiscordConfig(
      { DISCORD_TOKEN: TOKEN, DISCORD_CONFIG: "discord.json", DISCORD_THREAD_ARCHIVE: "1h" },
      dir,
    )!;
    expect([...config.channels]).toEqual([
      ["research", "research"],
      ["general", null],
    ]);
    expect(config).toMatchObject({ approverRoles: ["maintainer"], threadAutoArchiveMinutes: 60 });
  });

  it("names the field that is wrong", () => {
    const env = { DISCORD_TOKEN: TOKEN, DISCORD_CHANNELS: "general" };
    expect(reasonOf(() => resolveDiscordConfig({ DISCORD_TOKEN: TOKEN }))).toMatch(
      /^DISCORD_CHANNELS must name/,
    );
    expect(reasonOf(() => resolveDiscordConfig({ ...env, DISCORD_CHANNELS: "a=b=c" }))).toMatch(
      /^DISCORD_CHANNELS must look like .* got "a=b=c"$/,
    );
    expect(reasonOf(() => resolveDiscordConfig({ ...env, DISCORD_APPLICATION_ID: "app" }))).toBe(
      'DISCORD_APPLICATION_ID must be a Discord id (17 to 20 digits), got "app"',
    );
    expect(reasonOf(() => resolveDiscordConfig({ ...env, DISCORD_THREAD_ARCHIVE: "2d" }))).toMatch(
      /^DISCORD_THREAD_ARCHIVE must be 1h, 1d, 3d or 1w/,
    );
    expect(reasonOf(() => resolveDiscordConfig({ ...env, DISCORD_API_URL: "ftp://x" }))).toMatch(
      /^DISCORD_API_URL must be an http\(s\) URL/,
    );
    expect(reasonOf(() => resolveDiscordConfig({ ...env, DISCORD_PRIVACY: "maybe" }))).toBe(
      'DISCORD_PRIVACY must be true or false, got "maybe"',
    );
    expect(reasonOf(() => resolveDiscordConfig({ ...env, DISCORD_TOKEN: "short" }))).toBe(
      "DISCORD_TOKEN does not look like a bot token",
    );
    expect(
      reasonOf(() => resolveDiscordConfig({ ...env, DISCORD_CONFIG: "/nonexistent/discord.json" })),
    ).toMatch(/^DISCORD_CONFIG cannot be read/);
    for (const bad of ["-1", "lots", "1001", "2.5"])
      expect(reasonOf(() => resolveDiscordConfig({ ...env, TROUPE_DISCORD_CATCHUP_MAX: bad }))).toBe(
        `TROUPE_DISCORD_CATCHUP_MAX must be a number of messages from 0 (no catch-up) to 1000, got "${bad}"`,
      );
    for (const bad of ["forever", "500ms", "8d"])
      expect(reasonOf(() => resolveDiscordConfig({ ...env, TROUPE_DISCORD_CATCHUP_WINDOW: bad }))).toBe(
        `TROUPE_DISCORD_CATCHUP_WINDOW must be a time from 1s to 7d such as 30m, 1h or 1d, got "${bad}"`,
      );
  });

  it("reads how much of what was missed is caught up on", () => {
    const env = { DISCORD_TOKEN: TOKEN, DISCORD_CHANNELS: "general" };
    expect(
      resolveDiscordConfig({ ...env, TROUPE_DISCORD_CATCHUP_MAX: "20", TROUPE_DISCORD_CATCHUP_WINDOW: "1d" })
        ?.catchUp,
    ).toEqual({ maxPerChannel: 20, windowMs: 86_400_000 });
    expect(resolveDiscordConfig({ ...env, TROUPE_DISCORD_CATCHUP_MAX: "0" })?.catchUp.maxPerChannel).toBe(0);
  });
});
