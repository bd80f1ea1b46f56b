// The host's settings, from command-line options over environment variables over defaults. Every
// value is checked here, so a bad one stops troupe at once with a message naming where it came from.
import { type LogLevel, TroupeError, toMillis } from "@troupe/runtime";
import type { StartOptions } from "../cli/parseCommandLine.ts";

export interface HostConfig {
  readonly httpHost: string;
  /** 0 picks any free port. */
  readonly httpPort: number;
  readonly logLevel: LogLevel;
  readonly drainTimeoutMs: number;
  /** Whether DISCORD_TOKEN is set; the token itself never leaves the environment. */
  readonly discordTokenSet: boolean;
}

export const DEFAULT_HTTP_HOST = "127.0.0.1";
export const DEFAULT_HTTP_PORT = 9464;
export const DEFAULT_DRAIN_TIMEOUT = "30s";

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

  return {
    httpHost: host?.value.trim() ?? DEFAULT_HTTP_HOST,
    httpPort,
    logLevel,
    drainTimeoutMs,
    discordTokenSet: (env.DISCORD_TOKEN ?? "") !== "",
  };
};
