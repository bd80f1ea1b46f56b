// The `troupe` executable's contract with a shell: help on stdout with exit 0, a one-line error and
// a hint with exit 2 for anything it does not understand.
import { describe, expect, it } from "vitest";
import { spawnTroupe } from "../testing/spawnTroupe.ts";

describe("troupe (the executable)", () => {
  it("prints usage for --help and exits 0", async () => {
    const troupe = spawnTroupe(["--help"]);
    expect(await troupe.exited).toBe(0);
    const text = troupe.stdout.join("\n");
    expect(text).toContain("troupe [command] [options]");
    for (const name of [
      "TROUPE_HTTP_PORT",
      "TROUPE_HTTP_HOST",
      "TROUPE_LOG_LEVEL",
      "--port",
      "--host",
      "--log-level",
    ])
      expect(text).toContain(name);
    expect(text).toMatch(/DISCORD_TOKEN\s+The bot's token: set, troupe runs on Discord/);
    expect(text).toContain("DISCORD_CHANNELS");
    expect(troupe.stderr.join("")).toBe("");
  });

  it("prints start's usage for start --help, with the console's commands", async () => {
    const troupe = spawnTroupe(["start", "--help"]);
    expect(await troupe.exited).toBe(0);
    const text = troupe.stdout.join("\n");
    expect(text).toContain("troupe start [options]");
    expect(text).toContain("default 9464");
    expect(text).toContain("default 127.0.0.1");
    for (const command of ["/help", "/agents", "/status", "/ask <agent> <text>", "/cancel <taskId>"])
      expect(text).toContain(command);
  });

  it("exits 2 with a one-line error and a hint on an unknown option", async () => {
    const troupe = spawnTroupe(["start", "--frobnicate"]);
    expect(await troupe.exited).toBe(2);
    expect(troupe.stderr.filter(Boolean)).toEqual([
      'troupe: unknown option "--frobnicate"',
      'Run "troupe --help" for usage.',
    ]);
    expect(troupe.stdout.join("")).toBe("");
  });

  it("exits 2 on an unknown command and on a bad environment variable", async () => {
    const unknown = spawnTroupe(["frobnicate"]);
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr[0]).toBe('troupe: unknown command "frobnicate"');

    const badPort = spawnTroupe(["start"], { TROUPE_HTTP_PORT: "http" });
    expect(await badPort.exited).toBe(2);
    expect(badPort.stderr[0]).toBe(
      'troupe: TROUPE_HTTP_PORT must be a port number from 0 to 65535, got "http"',
    );
  });

  it("takes TROUPE_V8_PRETENURING on or off, and exits 2 on anything else", async () => {
    for (const value of ["on", "off"]) {
      const troupe = spawnTroupe(["--help"], { TROUPE_V8_PRETENURING: value });
      expect(await troupe.exited).toBe(0);
      expect(troupe.stdout.join("\n")).toContain("TROUPE_V8_PRETENURING");
    }
    const bad = spawnTroupe(["start"], { TROUPE_V8_PRETENURING: "sometimes" });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr.filter(Boolean)).toEqual([
      'troupe: TROUPE_V8_PRETENURING must be on or off, got "sometimes"',
    ]);
  });
});
