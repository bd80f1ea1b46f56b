// The notifier's settings, from environment variables: which sinks exist (each from its own
// variables), their fallback order, quiet hours and batching, and which scheduled runs' outcomes are
// sent by default. Every bad field is reported as one
// line naming the variable — an unknown sink in the order names that sink — and the sink it
// concerns is left out; the host and the other sinks run on (an alert still has somewhere to go,
// at worst the file drop, which is always there). Secrets stay in the environment: the parsed
// config holds them only to hand them to the sinks, and never prints them. A webhook URL may carry
// credentials (`user:password@` goes as Basic authorization, `?token=` as it is) but not over plain
// http to another machine, where the network would read them: that URL is refused, by name.
import { resolve } from "node:path";
import { redactUrl, secretsInUrl, toMillis } from "@troupe/runtime";
import { isTaskNotify, parseQuietHours, type QuietHours, type TaskNotify } from "@troupe/runtime/notify";
import { isLoopbackHost } from "../http/httpAccess.ts";

export const SINK_NAMES = ["discord", "kakaowork", "kakao", "webhook", "file"] as const;
export type SinkName = (typeof SINK_NAMES)[number];

export type SinkConfig =
  | { readonly name: "discord"; readonly url: string }
  | {
      readonly name: "kakaowork";
      readonly appKey: string;
      readonly conversationId: string;
      readonly apiUrl?: string;
    }
  | {
      readonly name: "kakao";
      readonly restApiKey: string;
      readonly clientSecret?: string;
      readonly redirectUri?: string;
      readonly apiUrl?: string;
      readonly authUrl?: string;
      readonly tokenFile?: string;
      readonly defaultLink?: string;
    }
  | { readonly name: "webhook"; readonly url: string }
  | { readonly name: "file"; readonly dir: string };

export interface NotifyConfig {
  /** The usable sinks, in fallback order. */
  readonly sinks: readonly SinkConfig[];
  readonly quietHours: Readonly<Record<string, QuietHours>>;
  readonly batchMs: Readonly<Record<string, number>>;
  /** Which scheduled runs' outcomes go to the notifier when their schedule does not say (TROUPE_NOTIFY_TASKS, default off). */
  readonly tasks: TaskNotify;
  /** One line per bad setting, each naming its variable; the host logs them and runs on. */
  readonly problems: readonly string[];
}

const isHttpUrl = (text: string) => {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
};

/** Credentials in a URL that plain http would send across the network in clear. */
const credentialsInClear = (text: string) => {
  const url = new URL(text);
  return url.protocol === "http:" && !isLoopbackHost(url.hostname) && secretsInUrl(text).length > 0;
};

const inClear = (variable: string) =>
  `${variable} carries credentials (user:password@, ?token= or a token in its path) over plain http to another machine, where the network can read them: use https://`;

/** Parse "kakao=22:00-07:00,discord=23:00-06:00"-style per-sink settings. */
const perSink = (
  raw: string | undefined,
  variable: string,
  known: readonly string[],
  problems: string[],
): [string, string][] => {
  if (!raw?.trim()) return [];
  const out: [string, string][] = [];
  for (const part of raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)) {
    const [name, value] = part.split(/=(.*)/s).map((item) => item?.trim() ?? "");
    if (!name || !value) problems.push(`${variable}: "${part}" must look like <sink>=<value>`);
    else if (!known.includes(name))
      problems.push(`${variable}: unknown sink "${name}" (configured: ${known.join(", ") || "none"})`);
    else out.push([name, value]);
  }
  return out;
};

export const resolveNotifyConfig = (
  env: NodeJS.ProcessEnv,
  options: { readonly dataDir: string; readonly cwd?: string },
): NotifyConfig => {
  const problems: string[] = [];
  const value = (name: string) => {
    const text = env[name]?.trim();
    return text === undefined || text === "" ? undefined : text;
  };
  const available = new Map<SinkName, SinkConfig>();

  const discord = value("TROUPE_NOTIFY_DISCORD_WEBHOOK");
  if (discord !== undefined) {
    if (isHttpUrl(discord) && credentialsInClear(discord))
      problems.push(inClear("TROUPE_NOTIFY_DISCORD_WEBHOOK"));
    else if (isHttpUrl(discord)) available.set("discord", { name: "discord", url: discord });
    else
      problems.push(
        "TROUPE_NOTIFY_DISCORD_WEBHOOK must be a webhook URL (https://discord.com/api/webhooks/<id>/<token>)",
      );
  }

  const workKey = value("TROUPE_NOTIFY_KAKAOWORK_APP_KEY");
  const workConversation = value("TROUPE_NOTIFY_KAKAOWORK_CONVERSATION");
  const workUrl = value("KAKAOWORK_API_URL");
  if (workKey !== undefined || workConversation !== undefined) {
    if (workKey === undefined)
      problems.push("TROUPE_NOTIFY_KAKAOWORK_APP_KEY is missing (the KakaoWork bot's app key)");
    else if (workConversation === undefined)
      problems.push("TROUPE_NOTIFY_KAKAOWORK_CONVERSATION is missing (the conversation id the bot posts to)");
    else if (workUrl !== undefined && !isHttpUrl(workUrl))
      problems.push(`KAKAOWORK_API_URL must be an http(s) URL, got "${redactUrl(workUrl)}"`);
    else
      available.set("kakaowork", {
        name: "kakaowork",
        appKey: workKey,
        conversationId: workConversation,
        ...(workUrl ? { apiUrl: workUrl } : {}),
      });
  }

  const kakaoKey = value("KAKAO_REST_API_KEY");
  if (kakaoKey !== undefined) {
    const urls: Record<string, string | undefined> = {
      KAKAO_API_URL: value("KAKAO_API_URL"),
      KAKAO_AUTH_URL: value("KAKAO_AUTH_URL"),
      KAKAO_REDIRECT_URI: value("KAKAO_REDIRECT_URI"),
      KAKAO_LINK_URL: value("KAKAO_LINK_URL"),
    };
    const bad = Object.entries(urls).filter(([, url]) => url !== undefined && !isHttpUrl(url));
    for (const [name, url] of bad) problems.push(`${name} must be an http(s) URL, got "${redactUrl(url!)}"`);
    if (bad.length === 0) {
      const tokenFile = value("KAKAO_TOKEN_FILE");
      const secret = value("KAKAO_CLIENT_SECRET");
      available.set("kakao", {
        name: "kakao",
        restApiKey: kakaoKey,
        ...(secret ? { clientSecret: secret } : {}),
        ...(urls.KAKAO_REDIRECT_URI ? { redirectUri: urls.KAKAO_REDIRECT_URI } : {}),
        ...(urls.KAKAO_API_URL ? { apiUrl: urls.KAKAO_API_URL } : {}),
        ...(urls.KAKAO_AUTH_URL ? { authUrl: urls.KAKAO_AUTH_URL } : {}),
        ...(urls.KAKAO_LINK_URL ? { defaultLink: urls.KAKAO_LINK_URL } : {}),
        ...(tokenFile ? { tokenFile: resolve(options.cwd ?? process.cwd(), tokenFile) } : {}),
      });
    }
  }

  const webhook = value("TROUPE_NOTIFY_WEBHOOK_URL");
  if (webhook !== undefined) {
    if (isHttpUrl(webhook) && credentialsInClear(webhook))
      problems.push(inClear("TROUPE_NOTIFY_WEBHOOK_URL"));
    else if (isHttpUrl(webhook)) available.set("webhook", { name: "webhook", url: webhook });
    else problems.push(`TROUPE_NOTIFY_WEBHOOK_URL must be an http(s) URL`);
  }

  // The file drop is always there: the last resort at the end of the order.
  const dir = value("TROUPE_NOTIFY_FILE_DIR");
  available.set("file", {
    name: "file",
    dir: resolve(options.cwd ?? process.cwd(), dir ?? resolve(options.dataDir, "alerts")),
  });

  let order: SinkName[] = SINK_NAMES.filter((name) => available.has(name));
  const listed = value("TROUPE_NOTIFY_ORDER");
  if (listed !== undefined) {
    const names = listed
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
    const chosen: SinkName[] = [];
    for (const name of names) {
      if (!(SINK_NAMES as readonly string[]).includes(name))
        problems.push(`TROUPE_NOTIFY_ORDER: unknown sink "${name}" (known: ${SINK_NAMES.join(", ")})`);
      else if (!available.has(name as SinkName))
        problems.push(
          `TROUPE_NOTIFY_ORDER: sink "${name}" is not configured (see docs/configuration.md for its variables)`,
        );
      else if (!chosen.includes(name as SinkName)) chosen.push(name as SinkName);
    }
    if (chosen.length > 0) order = chosen;
  }
  const sinks = order.map((name) => available.get(name)!);
  const names = sinks.map((sink) => sink.name);

  const timeZone = value("TROUPE_NOTIFY_TIMEZONE");
  const quietHours: Record<string, QuietHours> = {};
  for (const [sink, window] of perSink(value("TROUPE_QUIET_HOURS"), "TROUPE_QUIET_HOURS", names, problems)) {
    try {
      quietHours[sink] = parseQuietHours(window, `TROUPE_QUIET_HOURS (${sink})`, timeZone);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const batchMs: Record<string, number> = {};
  for (const [sink, window] of perSink(
    value("TROUPE_NOTIFY_BATCH"),
    "TROUPE_NOTIFY_BATCH",
    names,
    problems,
  )) {
    try {
      batchMs[sink] = toMillis(window as `${number}m`, `TROUPE_NOTIFY_BATCH (${sink})`);
    } catch {
      problems.push(`TROUPE_NOTIFY_BATCH (${sink}) must look like 5m or 1h, got "${window}"`);
    }
  }
  const tasks = value("TROUPE_NOTIFY_TASKS")?.toLowerCase() ?? "off";
  if (!isTaskNotify(tasks)) problems.push(`TROUPE_NOTIFY_TASKS must be all, failed or off, got "${tasks}"`);
  return { sinks, quietHours, batchMs, tasks: isTaskNotify(tasks) ? tasks : "off", problems };
};
