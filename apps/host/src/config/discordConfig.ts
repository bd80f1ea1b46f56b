// The Discord settings of `troupe start`, from a JSON file (DISCORD_CONFIG) under environment
// variables. Set only when DISCORD_TOKEN is. Every field is checked here, so a bad one stops troupe
// with one line naming it; the token comes from the environment only and is kept in a value that
// prints as "[redacted]", so logging the config can never show it.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type CatchUpSettings, TroupeError } from "@troupe/runtime";
import { resolveDiscordCatchUp } from "./discordCatchUpConfig.ts";

/** A secret that never prints: `String(token)`, JSON and inspection all show "[redacted]". */
export interface Secret {
  reveal(): string;
}

const secret = (value: string): Secret => {
  const box = {
    reveal: () => value,
    toString: () => "[redacted]",
    toJSON: () => "[redacted]",
    [Symbol.for("nodejs.util.inspect.custom")]: () => "[redacted]",
  };
  return box;
};

export type ThreadArchiveMinutes = 60 | 1440 | 4320 | 10080;

export interface DiscordConfig {
  readonly token: Secret;
  readonly applicationId: string | undefined;
  readonly guildId: string | undefined;
  /** Channel name or id → the agent it feeds, or null for a general channel (the team's rules). */
  readonly channels: ReadonlyMap<string, string | null>;
  /** Roles (names or ids) whose members may approve. */
  readonly approverRoles: readonly string[];
  readonly threadAutoArchiveMinutes: ThreadArchiveMinutes;
  /** REST base of a Discord-compatible server (tests); undefined: Discord itself. */
  readonly apiUrl: string | undefined;
  /** Post metadata only. */
  readonly privacy: boolean;
  /** What is read back of the messages written while troupe was not connected (discordCatchUpConfig.ts). */
  readonly catchUp: CatchUpSettings;
}

interface DiscordFile {
  applicationId?: unknown;
  guildId?: unknown;
  channels?: unknown;
  approverRoles?: unknown;
  threadAutoArchive?: unknown;
  apiUrl?: unknown;
  privacy?: unknown;
}

const SNOWFLAKE = /^\d{17,20}$/;
const CHANNEL = /^[\p{L}\p{N}_-]{1,100}$/u;
const AGENT = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const ARCHIVE: Record<string, ThreadArchiveMinutes> = {
  "60": 60,
  "1h": 60,
  "1440": 1440,
  "1d": 1440,
  "24h": 1440,
  "4320": 4320,
  "3d": 4320,
  "10080": 10080,
  "7d": 10080,
  "1w": 10080,
};

const invalid = (source: string, reason: string) => new TroupeError("InvalidCommand", `${source} ${reason}`);

/** "research=research,code-review=code,general" → research→research, code-review→code, general→null. */
const parseChannels = (source: string, raw: string): Map<string, string | null> => {
  const channels = new Map<string, string | null>();
  for (const entry of raw.split(",").map((part) => part.trim())) {
    if (entry === "") continue;
    const [channel = "", agent, extra] = entry.split("=").map((part) => part.trim());
    if (extra !== undefined || !CHANNEL.test(channel) || (agent !== undefined && !AGENT.test(agent)))
      throw invalid(
        source,
        `must look like "research=research,general" (channel=agent, or a general channel alone), got "${entry}"`,
      );
    channels.set(channel, agent ?? null);
  }
  return channels;
};

const channelsFromFile = (source: string, value: unknown): Map<string, string | null> => {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid(
      source,
      'must be an object of channel → agent (or null for a general channel), e.g. {"research": "research", "general": null}',
    );
  const channels = new Map<string, string | null>();
  for (const [channel, agent] of Object.entries(value)) {
    if (!CHANNEL.test(channel) || !(agent === null || (typeof agent === "string" && AGENT.test(agent))))
      throw invalid(source, `has a bad entry "${channel}": ${JSON.stringify(agent)}`);
    channels.set(channel, agent);
  }
  return channels;
};

/** The Discord settings, or undefined when DISCORD_TOKEN is not set; throws InvalidCommand naming a bad field. */
export const resolveDiscordConfig = (
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
  options: { requireChannels?: boolean } = {},
): DiscordConfig | undefined => {
  const token = env.DISCORD_TOKEN ?? "";
  if (token === "") return undefined;
  if (/\s/.test(token) || token.length < 20) throw invalid("DISCORD_TOKEN", "does not look like a bot token");

  let file: DiscordFile = {};
  const filePath = env.DISCORD_CONFIG;
  if (filePath) {
    const path = resolve(cwd, filePath);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw invalid("DISCORD_CONFIG", `cannot be read (${path}): ${(error as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not an object");
      file = parsed as DiscordFile;
    } catch (error) {
      throw invalid("DISCORD_CONFIG", `is not a JSON object (${path}): ${(error as Error).message}`);
    }
    if ("token" in file)
      throw invalid(`DISCORD_CONFIG (${path})`, "must not hold the token: set DISCORD_TOKEN");
  }
  const fileSource = (field: string) => `${field} in DISCORD_CONFIG`;
  const text = (envName: string, field: keyof DiscordFile): { value: string; source: string } | undefined => {
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv.trim(), source: envName };
    const fromFile = file[field];
    if (fromFile === undefined || fromFile === null) return undefined;
    if (typeof fromFile !== "string" && typeof fromFile !== "number" && typeof fromFile !== "boolean")
      throw invalid(fileSource(field), "must be a string");
    return { value: String(fromFile).trim(), source: fileSource(field) };
  };

  const snowflake = (envName: string, field: keyof DiscordFile) => {
    const found = text(envName, field);
    if (found && !SNOWFLAKE.test(found.value))
      throw invalid(found.source, `must be a Discord id (17 to 20 digits), got "${found.value}"`);
    return found?.value;
  };
  const applicationId = snowflake("DISCORD_APPLICATION_ID", "applicationId");
  const guildId = snowflake("DISCORD_GUILD_ID", "guildId");

  let channels: Map<string, string | null>;
  if (env.DISCORD_CHANNELS) channels = parseChannels("DISCORD_CHANNELS", env.DISCORD_CHANNELS);
  else if (file.channels !== undefined) channels = channelsFromFile(fileSource("channels"), file.channels);
  else channels = new Map();
  if (channels.size === 0 && options.requireChannels !== false)
    throw invalid(
      "DISCORD_CHANNELS",
      'must name the channels Troupe reads, e.g. "research=research,general" (channel=agent, or a general channel alone)',
    );

  let approverRoles: string[] = [];
  if (env.DISCORD_APPROVER_ROLES)
    approverRoles = env.DISCORD_APPROVER_ROLES.split(",").map((role) => role.trim());
  else if (file.approverRoles !== undefined) {
    if (!Array.isArray(file.approverRoles) || !file.approverRoles.every((role) => typeof role === "string"))
      throw invalid(fileSource("approverRoles"), "must be a list of role names or ids");
    approverRoles = (file.approverRoles as string[]).map((role) => role.trim());
  }
  const badRole = approverRoles.find((role) => role === "" || role.length > 100);
  if (badRole !== undefined)
    throw invalid(
      "DISCORD_APPROVER_ROLES",
      `must be role names or ids separated by commas, got "${badRole}"`,
    );

  const archive = text("DISCORD_THREAD_ARCHIVE", "threadAutoArchive");
  const threadAutoArchiveMinutes = archive ? ARCHIVE[archive.value.toLowerCase()] : 1440;
  if (threadAutoArchiveMinutes === undefined)
    throw invalid(
      archive!.source,
      `must be 1h, 1d, 3d or 1w (60, 1440, 4320 or 10080 minutes), got "${archive!.value}"`,
    );

  const api = text("DISCORD_API_URL", "apiUrl");
  let apiUrl: string | undefined;
  if (api) {
    let url: URL | undefined;
    try {
      url = new URL(api.value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search !== "")
      throw invalid(api.source, `must be an http(s) URL such as https://discord.com/api, got "${api.value}"`);
    apiUrl = api.value.replace(/\/+$/, "");
  }

  const privacyText = text("DISCORD_PRIVACY", "privacy");
  let privacy = false;
  if (privacyText) {
    const value = privacyText.value.toLowerCase();
    if (!["1", "0", "true", "false", "yes", "no", "on", "off"].includes(value))
      throw invalid(privacyText.source, `must be true or false, got "${privacyText.value}"`);
    privacy = ["1", "true", "yes", "on"].includes(value);
  }

  return {
    token: secret(token),
    applicationId,
    guildId,
    channels,
    approverRoles,
    threadAutoArchiveMinutes,
    apiUrl,
    privacy,
    catchUp: resolveDiscordCatchUp(env),
  };
};
