// The host's settings: options over environment over defaults, and errors naming the source.
import { describe, expect, it } from "vitest";
import { resolveHostConfig } from "./hostConfig.ts";

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
    expect(resolveHostConfig({}, {})).toEqual({
      httpHost: "127.0.0.1",
      httpPort: 9464,
      logLevel: "info",
      drainTimeoutMs: 30_000,
      discordTokenSet: false,
    });
  });

  it("reads the environment, and options win over it", () => {
    const env = {
      TROUPE_HTTP_HOST: "0.0.0.0",
      TROUPE_HTTP_PORT: "0",
      TROUPE_LOG_LEVEL: "WARN",
      TROUPE_DRAIN_TIMEOUT: "2m",
      DISCORD_TOKEN: "secret",
    };
    expect(resolveHostConfig({}, env)).toEqual({
      httpHost: "0.0.0.0",
      httpPort: 0,
      logLevel: "warn",
      drainTimeoutMs: 120_000,
      discordTokenSet: true,
    });
    expect(resolveHostConfig({ port: "8080", logLevel: "debug" }, env)).toMatchObject({
      httpPort: 8080,
      logLevel: "debug",
    });
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
  });
});
