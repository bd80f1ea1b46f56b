// The host's settings: options over environment over defaults, and errors naming the source.

import { redactUrl } from "@troupe/runtime";
import { describe, expect, it } from "vitest";
import { defaultConsumer, resolveHostConfig } from "./hostConfig.ts";

const reasonOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as { reason?: string }).reason ?? String(error);
  }
  return "no error";
};

describe("resolveHostConfig", () => {
  it("has defaults for local use", () => {
    expect(resolveHostConfig({}, {}, "/srv/app")).toEqual({
      httpHost: "127.0.0.1",
      httpPort: 9464,
      httpAccess: { allowedHosts: [], token: undefined },
      logLevel: "info",
      logLevelSet: false,
      logFile: "/srv/app/.troupe/default.log",
      drainTimeoutMs: 30_000,
      discordTokenSet: false,
      discord: undefined,
      dataDir: "/srv/app/.troupe",
      discordFallbackDir: "/srv/app/.troupe/discord-fallback",
      store: { kind: "sqlite", dataDir: "/srv/app/.troupe", path: "/srv/app/.troupe/default.sqlite" },
      namespace: "default",
      consumer: defaultConsumer(),
      leaseMs: 30_000,
      gatewayLeaseMs: 15_000,
      backoffs: {
        retry: { baseMs: 1_000, maxMs: 60_000, maxAttempts: 5 },
        teamRestart: { baseMs: 1_000, maxMs: 60_000 },
      },
      modelAgents: [],
      monitorThresholds: {},
      notify: {
        sinks: [{ name: "file", dir: "/srv/app/.troupe/alerts" }],
        quietHours: {},
        batchMs: {},
        tasks: "off",
        problems: [],
      },
      mcp: undefined,
      memory: { path: "/srv/app/.troupe/default.memory.sqlite", namespace: "default", postgres: undefined },
      trace: { dir: "/srv/app/.troupe/traces", retain: 14 },
      maxTaskBytes: 1_048_576,
    });
    expect(defaultConsumer()).toMatch(/^[A-Za-z0-9._:@-]+$/);
  });

  it("puts the Discord file-drop fallback where TROUPE_DISCORD_FALLBACK_DIR says, relative to the working directory", () => {
    expect(
      resolveHostConfig({}, { TROUPE_DISCORD_FALLBACK_DIR: "spool/discord" }, "/srv/app").discordFallbackDir,
    ).toBe("/srv/app/spool/discord");
  });

  it("reads the environment, and options win over it", () => {
    const env = {
      TROUPE_HTTP_HOST: "0.0.0.0",
      TROUPE_HTTP_PORT: "0",
      TROUPE_LOG_LEVEL: "WARN",
      TROUPE_DRAIN_TIMEOUT: "2m",
      DISCORD_TOKEN: "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789",
      DISCORD_CHANNELS: "general",
      TROUPE_DATA_DIR: "/var/lib/troupe",
      TROUPE_TRACE_DIR: "traces",
      TROUPE_TRACE_RETAIN: "3",
      TROUPE_NAMESPACE: "team-a",
      TROUPE_CONSUMER: "box-1",
      TROUPE_LEASE: "1m",
      TROUPE_GATEWAY_LEASE: "5s",
      TROUPE_MAX_ATTEMPTS: "3",
      TROUPE_RETRY_BACKOFF: "250ms",
      TROUPE_TEAM_RESTART: "2m",
    };
    expect(resolveHostConfig({}, env, "/srv/app")).toEqual({
      httpHost: "0.0.0.0",
      httpPort: 0,
      httpAccess: { allowedHosts: [], token: undefined },
      logLevel: "warn",
      logLevelSet: true,
      logFile: "/var/lib/troupe/team-a.log",
      drainTimeoutMs: 120_000,
      discordTokenSet: true,
      discord: expect.objectContaining({ channels: new Map([["general", null]]) }),
      dataDir: "/var/lib/troupe",
      discordFallbackDir: "/var/lib/troupe/discord-fallback",
      store: { kind: "sqlite", dataDir: "/var/lib/troupe", path: "/var/lib/troupe/team-a.sqlite" },
      namespace: "team-a",
      consumer: "box-1",
      leaseMs: 60_000,
      gatewayLeaseMs: 5_000,
      backoffs: {
        retry: { baseMs: 250, maxMs: 60_000, maxAttempts: 3 },
        teamRestart: { baseMs: 120_000, maxMs: 120_000 },
      },
      modelAgents: [],
      monitorThresholds: {},
      notify: expect.objectContaining({ sinks: [{ name: "file", dir: "/var/lib/troupe/alerts" }] }),
      mcp: undefined,
      memory: { path: "/var/lib/troupe/team-a.memory.sqlite", namespace: "team-a", postgres: undefined },
      trace: { dir: "/srv/app/traces", retain: 3 },
      maxTaskBytes: 1_048_576,
    });
    expect(
      resolveHostConfig(
        { port: "8080", logLevel: "debug", dataDir: "data", consumer: "box-2", lease: "10s" },
        env,
        "/srv/app",
      ),
    ).toMatchObject({
      httpPort: 8080,
      logLevel: "debug",
      store: { kind: "sqlite", path: "/srv/app/data/team-a.sqlite" },
      consumer: "box-2",
      leaseMs: 10_000,
    });
  });

  it("uses Redis when REDIS_URL is set, and keeps its password out of what it shows", () => {
    const config = resolveHostConfig({}, { REDIS_URL: "redis://app:s3cret@cache:6379/2" });
    expect(config.store).toEqual({
      kind: "redis",
      url: "redis://app:s3cret@cache:6379/2",
      redactedUrl: "redis://app:***@cache:6379/2",
    });
    expect(resolveHostConfig({ redisUrl: "rediss://:pw@cache" }, {}).store).toMatchObject({
      redactedUrl: "rediss://:***@cache",
    });
    expect(reasonOf(() => resolveHostConfig({}, { REDIS_URL: "http://user:pw@cache" }))).toBe(
      'REDIS_URL must look like redis://[user:password@]host:port[/db] (or rediss://), got "http://user:***@cache/"',
    );
    expect(reasonOf(() => resolveHostConfig({ redisUrl: "secret@cache:6379" }, {}))).toBe(
      '--redis-url must look like redis://[user:password@]host:port[/db] (or rediss://), got "***@cache:6379"',
    );
    // ioredis would decode the password itself and fail with a bare "URI malformed".
    expect(reasonOf(() => resolveHostConfig({}, { REDIS_URL: "redis://:50%off@cache:6379" }))).toBe(
      'REDIS_URL has a user name or password with bad percent-encoding (write "%" as %25, "@" as %40, ":" as %3A), got "redis://:***@cache:6379"',
    );
    expect(redactUrl("redis://only-a-user@cache")).toBe("redis://***@cache");
    expect(redactUrl("redis://cache:6379")).toBe("redis://cache:6379");
  });

  it("reads the largest task from TROUPE_MAX_TASK_BYTES, in bytes, KB or MB, and names a bad one", () => {
    expect(resolveHostConfig({}, { TROUPE_MAX_TASK_BYTES: "262144" }).maxTaskBytes).toBe(262_144);
    expect(resolveHostConfig({}, { TROUPE_MAX_TASK_BYTES: "512KB" }).maxTaskBytes).toBe(524_288);
    expect(resolveHostConfig({}, { TROUPE_MAX_TASK_BYTES: "2 mb" }).maxTaskBytes).toBe(2_097_152);
    for (const bad of ["0", "100", "1GB", "64MB", "-5", "lots"])
      expect(reasonOf(() => resolveHostConfig({}, { TROUPE_MAX_TASK_BYTES: bad }))).toBe(
        `TROUPE_MAX_TASK_BYTES must be a size from 1KB to 16MB, such as 262144, 512KB or 2MB, got "${bad}"`,
      );
  });

  it("adds the model agents TROUPE_AGENTS names, once each", () => {
    expect(resolveHostConfig({}, { TROUPE_AGENTS: "research, code,research" }).modelAgents).toEqual([
      "research",
      "code",
    ]);
  });

  it("reads the system monitor's thresholds, and names a bad one", () => {
    expect(
      resolveHostConfig({}, { TROUPE_MONITOR_THRESHOLDS: "diskUsed=0.95:0.9, loadPerCpu=2" })
        .monitorThresholds,
    ).toEqual({ diskUsed: { high: 0.95, low: 0.9 }, loadPerCpu: 2 });
    expect(reasonOf(() => resolveHostConfig({}, { TROUPE_MONITOR_THRESHOLDS: "diskUsed=95" }))).toBe(
      "TROUPE_MONITOR_THRESHOLDS: thresholds.diskUsed must be a share between 0 and 1, got 95",
    );
    expect(reasonOf(() => resolveHostConfig({}, { TROUPE_MONITOR_THRESHOLDS: "disk" }))).toBe(
      'TROUPE_MONITOR_THRESHOLDS: "disk" must look like <name>=<high>[:<low>], e.g. diskUsed=0.95:0.9',
    );
    expect(reasonOf(() => resolveHostConfig({}, { TROUPE_MONITOR_THRESHOLDS: "cpu=1" }))).toMatch(
      /^TROUPE_MONITOR_THRESHOLDS: thresholds\.cpu is not a threshold/,
    );
  });

  it("names the option or variable that is wrong", () => {
    expect(reasonOf(() => resolveHostConfig({}, { TROUPE_HTTP_PORT: "70000" }))).toBe(
      'TROUPE_HTTP_PORT must be a port number from 0 to 65535, got "70000"',
    );
    expect(reasonOf(() => resolveHostConfig({ port: "-1" }, {}))).toBe(
      '--port must be a port number from 0 to 65535, got "-1"',
    );
    expect(reasonOf(() => resolveHostConfig({}, { TROUPE_LOG_LEVEL: "loud" }))).toBe(
      'TROUPE_LOG_LEVEL must be one of debug, info, warn, error, got "loud"',
    );
    expect(reasonOf(() => resolveHostConfig({ drainTimeout: "soon" }, {}))).toBe(
      '--drain-timeout must look like 500ms, 30s or 2m, got "soon"',
    );
    expect(reasonOf(() => resolveHostConfig({}, { TROUPE_NAMESPACE: "team a" }))).toBe(
      'TROUPE_NAMESPACE must be 1 to 64 letters, digits, ".", "_" or "-", got "team a"',
    );
    expect(reasonOf(() => resolveHostConfig({ consumer: "box/1" }, {}))).toBe(
      '--consumer must be 1 to 128 letters, digits, ".", "_", ":", "@" or "-", got "box/1"',
    );
    expect(reasonOf(() => resolveHostConfig({}, { TROUPE_LEASE: "forever" }))).toBe(
      'TROUPE_LEASE must look like 10s, 30s or 2m, got "forever"',
    );
    expect(reasonOf(() => resolveHostConfig({ lease: "200ms" }, {}))).toBe(
      '--lease must be at least 1s, got "200ms"',
    );
    for (const bad of ["soon", "500ms"])
      expect(reasonOf(() => resolveHostConfig({}, { TROUPE_GATEWAY_LEASE: bad }))).toBe(
        `TROUPE_GATEWAY_LEASE must be a time of at least 1s such as 5s, 15s or 1m, got "${bad}"`,
      );
    for (const bad of ["0", "many", "1.5"])
      expect(reasonOf(() => resolveHostConfig({}, { TROUPE_MAX_ATTEMPTS: bad }))).toBe(
        `TROUPE_MAX_ATTEMPTS must be a whole number from 1 to 999, got "${bad}"`,
      );
    expect(reasonOf(() => resolveHostConfig({}, { TROUPE_RETRY_BACKOFF: "later" }))).toBe(
      'TROUPE_RETRY_BACKOFF must be a time such as 500ms, 1s or 30s, got "later"',
    );
    expect(resolveHostConfig({}, {}).backoffs.retry.maxAttempts).toBe(5);
    expect(reasonOf(() => resolveHostConfig({ dataDir: " " }, {}))).toBe("--data-dir must not be empty");
    expect(reasonOf(() => resolveHostConfig({}, { MODEL_TIMEOUT: "0s" }))).toBe(
      'MODEL_TIMEOUT must be a time such as 30s, 2m or 1h, got "0s"',
    );
    expect(reasonOf(() => resolveHostConfig({}, { MODEL_TIMEOUT_RESEARCH: "1 minute" }))).toBe(
      'MODEL_TIMEOUT_RESEARCH must be a time such as 30s, 2m or 1h, got "1 minute"',
    );
    expect(reasonOf(() => resolveHostConfig({}, { TROUPE_HTTP_ALLOWED_HOSTS: "box.lan, evil host" }))).toBe(
      'TROUPE_HTTP_ALLOWED_HOSTS must be a comma-separated list of host names (e.g. troupe.lan, or .lan for every name under lan), got "evil host"',
    );
    // A token that is refused is not shown.
    expect(reasonOf(() => resolveHostConfig({}, { TROUPE_HTTP_TOKEN: "short-one" }))).toBe(
      "TROUPE_HTTP_TOKEN must be at least 16 letters, digits or ._~+/=- characters (openssl rand -hex 32 makes one)",
    );
  });

  it("reads who may use the HTTP server: allowed host names (the bound name too) and the token", () => {
    const config = resolveHostConfig(
      { host: "Box.LAN" },
      { TROUPE_HTTP_ALLOWED_HOSTS: "troupe.example, .home.arpa,", TROUPE_HTTP_TOKEN: "0123456789abcdef0123" },
    );
    expect(config.httpAccess).toEqual({
      allowedHosts: ["troupe.example", ".home.arpa", "box.lan"],
      token: "0123456789abcdef0123",
    });
  });
});
