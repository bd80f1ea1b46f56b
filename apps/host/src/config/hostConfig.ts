// The host's settings, from command-line options over environment variables over defaults. Every
// value is checked here, so a bad one stops troupe at once with a message naming where it came from.
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import type { ThresholdsInput } from "@troupe/agents";
import { type LogLevel, redactUrl, TroupeError, toMillis } from "@troupe/runtime";
import { checkModelTimeouts } from "@troupe/runtime/llm";
import type { StartOptions } from "../cli/parseCommandLine.ts";
import { type DiscordConfig, resolveDiscordConfig } from "./discordConfig.ts";
import { resolveDiscordFallbackDir } from "./discordFallbackConfig.ts";
import { type FailureBackoffs, resolveFailureBackoffs } from "./failureBackoffConfig.ts";
import { resolveGatewayLeaseMs } from "./gatewayLeaseConfig.ts";
import { type HttpAccessConfig, resolveHttpAccessConfig } from "./httpAccessConfig.ts";
import { resolveMaxTaskBytes } from "./maxTaskBytesConfig.ts";
import { resolveMonitorThresholds } from "./monitorConfig.ts";
import { type NotifyConfig, resolveNotifyConfig } from "./notifyConfig.ts";
import { type MemoryConfig, resolveToolsMemoryConfig, type ToolsMemoryConfig } from "./toolsMemoryConfig.ts";
import { resolveTraceConfig, type TraceConfig } from "./traceConfig.ts";

export interface HostConfig {
  readonly httpHost: string;
  /** 0 picks any free port. */
  readonly httpPort: number;
  /** Host names the HTTP server answers to besides loopback and IP addresses, and /inspect's token. */
  readonly httpAccess: HttpAccessConfig;
  readonly logLevel: LogLevel;
  /** Whether --log-level or TROUPE_LOG_LEVEL set the level: logs then stay JSON lines on stderr. */
  readonly logLevelSet: boolean;
  /** Where the console's logs go in a terminal: `<namespace>.log` in the data folder. */
  readonly logFile: string;
  readonly drainTimeoutMs: number;
  /** Whether DISCORD_TOKEN is set; the token itself never leaves the environment. */
  readonly discordTokenSet: boolean;
  /** The Discord surface's settings when DISCORD_TOKEN is set: `troupe start` then runs on Discord. */
  readonly discord: DiscordConfig | undefined;
  /** The data folder (TROUPE_DATA_DIR): the embedded store, memory, alert files, the Discord fallback. */
  readonly dataDir: string;
  /** The Discord surface's file-drop fallback folder (TROUPE_DISCORD_FALLBACK_DIR). */
  readonly discordFallbackDir: string;
  /** Where the work queue lives: Redis when REDIS_URL is set, else the embedded SQLite file. */
  readonly store: StoreConfig;
  /** Separates teams sharing one Redis (key prefix) or one data folder (file name). */
  readonly namespace: string;
  /** This host's name as a queue consumer: stable across restarts, so it finds its own leases. */
  readonly consumer: string;
  /** How long a lease lasts without renewal: a dead host's tasks are taken over after it. */
  readonly leaseMs: number;
  /** With Redis and Discord: how long the gateway lease lasts unrenewed (TROUPE_GATEWAY_LEASE). */
  readonly gatewayLeaseMs: number;
  /** First waits before a failed task is retried (TROUPE_RETRY_BACKOFF) and an escalated team restarts (TROUPE_TEAM_RESTART). */
  readonly backoffs: FailureBackoffs;
  /** Agents that need a local model, added to the team (TROUPE_AGENTS, e.g. `research,code`). */
  readonly modelAgents: readonly ModelAgentName[];
  /** The system monitor's thresholds over its defaults (TROUPE_MONITOR_THRESHOLDS). */
  readonly monitorThresholds: ThresholdsInput;
  /** The notifier's sinks and settings; a bad one is in `notify.problems` (logged, never fatal). */
  readonly notify: NotifyConfig;
  /** MCP servers whose tools the agents get (TROUPE_MCP_CONFIG), with per-agent allow-lists. */
  readonly mcp: ToolsMemoryConfig["mcp"];
  /** Conversation and semantic memory (the data folder, or PostgreSQL for semantic memory). */
  readonly memory: MemoryConfig;
  /** Where the host records its trace for `troupe replay` (TROUPE_TRACE_DIR, TROUPE_TRACE_RETAIN). */
  readonly trace: TraceConfig;
  /** The largest task taken from any entry, JSON-encoded (TROUPE_MAX_TASK_BYTES, default 1 MB). */
  readonly maxTaskBytes: number;
}

export type StoreConfig =
  | { readonly kind: "sqlite"; readonly dataDir: string; readonly path: string }
  /** `url` may hold a password: log `redactedUrl` only. */
  | { readonly kind: "redis"; readonly url: string; readonly redactedUrl: string };

export const DEFAULT_HTTP_HOST = "127.0.0.1";
export const DEFAULT_HTTP_PORT = 9464;
export const DEFAULT_DRAIN_TIMEOUT = "30s";
export const DEFAULT_DATA_DIR = ".troupe";
export const DEFAULT_NAMESPACE = "default";
export const DEFAULT_LEASE = "30s";
const MIN_LEASE_MS = 1_000;

const NAMESPACE = /^[A-Za-z0-9._-]{1,64}$/;
const CONSUMER = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The machine's name as a consumer name (characters a consumer name may not hold become "-"). */
export const defaultConsumer = (): string =>
  hostname()
    .replace(/[^A-Za-z0-9._:@-]/g, "-")
    .slice(0, 128) || "troupe";

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

const invalid = (source: string, reason: string) => new TroupeError("InvalidCommand", `${source} ${reason}`);

const pick = (
  option: string | undefined,
  optionName: string,
  env: NodeJS.ProcessEnv,
  envName: string,
): { value: string; source: string } | undefined => {
  if (option !== undefined) return { value: option, source: `--${optionName}` };
  const fromEnv = env[envName];
  return fromEnv === undefined || fromEnv === "" ? undefined : { value: fromEnv, source: envName };
};

/** Resolve the host's settings; throws InvalidCommand naming the option or variable that is wrong. */
export const resolveHostConfig = (
  options: StartOptions,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): HostConfig => {
  const host = pick(options.host, "host", env, "TROUPE_HTTP_HOST");
  if (host && host.value.trim() === "") throw invalid(host.source, "must not be empty");

  const port = pick(options.port, "port", env, "TROUPE_HTTP_PORT");
  let httpPort = DEFAULT_HTTP_PORT;
  if (port) {
    httpPort = /^\d{1,5}$/.test(port.value) ? Number(port.value) : Number.NaN;
    if (!(httpPort >= 0 && httpPort <= 65_535))
      throw invalid(port.source, `must be a port number from 0 to 65535, got "${port.value}"`);
  }

  const level = pick(options.logLevel, "log-level", env, "TROUPE_LOG_LEVEL");
  const logLevel = (level?.value.toLowerCase() ?? "info") as LogLevel;
  if (level && !LOG_LEVELS.includes(logLevel))
    throw invalid(level.source, `must be one of ${LOG_LEVELS.join(", ")}, got "${level.value}"`);

  const drain = pick(options.drainTimeout, "drain-timeout", env, "TROUPE_DRAIN_TIMEOUT");
  let drainTimeoutMs: number;
  try {
    drainTimeoutMs = toMillis((drain?.value ?? DEFAULT_DRAIN_TIMEOUT) as `${number}s`, drain?.source);
  } catch {
    throw invalid(drain?.source ?? "drain timeout", `must look like 500ms, 30s or 2m, got "${drain?.value}"`);
  }

  const namespace = pick(options.namespace, "namespace", env, "TROUPE_NAMESPACE");
  if (namespace && !NAMESPACE.test(namespace.value))
    throw invalid(
      namespace.source,
      `must be 1 to 64 letters, digits, ".", "_" or "-", got "${namespace.value}"`,
    );

  const consumer = pick(options.consumer, "consumer", env, "TROUPE_CONSUMER");
  if (consumer && !CONSUMER.test(consumer.value))
    throw invalid(
      consumer.source,
      `must be 1 to 128 letters, digits, ".", "_", ":", "@" or "-", got "${consumer.value}"`,
    );

  const lease = pick(options.lease, "lease", env, "TROUPE_LEASE");
  let leaseMs: number;
  try {
    leaseMs = toMillis((lease?.value ?? DEFAULT_LEASE) as `${number}s`, lease?.source);
  } catch {
    throw invalid(lease?.source ?? "lease", `must look like 10s, 30s or 2m, got "${lease?.value}"`);
  }
  if (leaseMs < MIN_LEASE_MS)
    throw invalid(lease?.source ?? "lease", `must be at least 1s, got "${lease?.value}"`);

  // Read by each role's model adapter; checked here so a bad one stops the start, not a task.
  checkModelTimeouts(env);

  const store = resolveStore(options, env, cwd, namespace?.value ?? DEFAULT_NAMESPACE);
  const dataDir =
    store.kind === "sqlite" ? store.dataDir : resolve(cwd, env.TROUPE_DATA_DIR || DEFAULT_DATA_DIR);
  const toolsMemory = resolveToolsMemoryConfig(env, {
    dataDir,
    namespace: namespace?.value ?? DEFAULT_NAMESPACE,
    cwd,
  });
  return {
    httpHost: host?.value.trim() ?? DEFAULT_HTTP_HOST,
    httpPort,
    httpAccess: resolveHttpAccessConfig(env, host?.value.trim() ?? DEFAULT_HTTP_HOST),
    logLevel,
    logLevelSet: level !== undefined,
    logFile: join(dataDir, `${namespace?.value ?? DEFAULT_NAMESPACE}.log`),
    drainTimeoutMs,
    discordTokenSet: (env.DISCORD_TOKEN ?? "") !== "",
    discord: resolveDiscordConfig(env, cwd),
    dataDir,
    discordFallbackDir: resolveDiscordFallbackDir(env, { dataDir, cwd }),
    store,
    namespace: namespace?.value ?? DEFAULT_NAMESPACE,
    consumer: consumer?.value ?? defaultConsumer(),
    leaseMs,
    gatewayLeaseMs: resolveGatewayLeaseMs(env),
    backoffs: resolveFailureBackoffs(env),
    modelAgents: resolveModelAgents(env),
    monitorThresholds: resolveMonitorThresholds(env),
    notify: resolveNotifyConfig(env, { dataDir, cwd }),
    mcp: toolsMemory.mcp,
    memory: toolsMemory.memory,
    trace: resolveTraceConfig(env, { dataDir, cwd }),
    maxTaskBytes: resolveMaxTaskBytes(env),
  };
};

const decodesCleanly = (text: string): boolean => {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
};

const resolveStore = (
  options: StartOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
  namespace: string,
): StoreConfig => {
  const redis = pick(options.redisUrl, "redis-url", env, "REDIS_URL");
  if (redis) {
    let url: URL | undefined;
    try {
      url = new URL(redis.value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "redis:" && url.protocol !== "rediss:") || url.hostname === "")
      throw invalid(
        redis.source,
        `must look like redis://[user:password@]host:port[/db] (or rediss://), got "${redactUrl(redis.value)}"`,
      );
    // The Redis client decodes the user name and password itself and fails with a bare "URI malformed".
    if (!decodesCleanly(url.username) || !decodesCleanly(url.password))
      throw invalid(
        redis.source,
        `has a user name or password with bad percent-encoding (write "%" as %25, "@" as %40, ":" as %3A), got "${redactUrl(redis.value)}"`,
      );
    return { kind: "redis", url: redis.value, redactedUrl: redactUrl(redis.value) };
  }
  const dir = pick(options.dataDir, "data-dir", env, "TROUPE_DATA_DIR");
  if (dir && dir.value.trim() === "") throw invalid(dir.source, "must not be empty");
  const dataDir = resolve(cwd, dir?.value ?? DEFAULT_DATA_DIR);
  return { kind: "sqlite", dataDir, path: resolve(dataDir, `${namespace}.sqlite`) };
};

/** The agents of `@troupe/agents` that need a model and can join the host's team. */
export const MODEL_AGENTS = ["orchestrator", "research", "code", "consensus"] as const;
export type ModelAgentName = (typeof MODEL_AGENTS)[number];

const resolveModelAgents = (env: NodeJS.ProcessEnv): ModelAgentName[] => {
  const names = (env.TROUPE_AGENTS ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names)
    if (!(MODEL_AGENTS as readonly string[]).includes(name))
      throw invalid("TROUPE_AGENTS", `knows ${MODEL_AGENTS.join(", ")}, got "${name}"`);
  return [...new Set(names)] as ModelAgentName[];
};
