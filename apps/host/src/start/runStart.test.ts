// `troupe start` in-process: a first interrupt drains and ends cleanly, a second exits at once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { Logger, LogLevel } from "@troupe/runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveHostConfig } from "../config/hostConfig.ts";
import { EXIT_INTERRUPTED, runStart } from "./runStart.ts";

const recordingLogger = () => {
  const records: { level: LogLevel; message: string; fields?: Record<string, unknown> }[] = [];
  const waiters = new Map<string, () => void>();
  const logger: Logger = {
    log(level, message, fields) {
      records.push({ level, message, fields });
      waiters.get(message)?.();
    },
  };
  const logged = (message: string) =>
    records.some((record) => record.message === message)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.set(message, resolve));
  return { logger, records, logged };
};

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "troupe-run-start-"));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));
const config = () => resolveHostConfig({ port: "0", dataDir }, {});

describe("runStart", () => {
  it("drains on the first interrupt and exits at once on the second", async () => {
    const { logger, records, logged } = recordingLogger();
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const exits: number[] = [];
    const finished = runStart(config(), {
      stdin,
      stdout,
      logger,
      exitNow: (code) => exits.push(code),
    });
    await logged("troupe started");

    process.emit("SIGINT");
    process.emit("SIGINT");

    expect(exits).toEqual([EXIT_INTERRUPTED]);
    expect(await finished).toBe(0);
    expect(records.find((record) => record.message === "console stopped")?.fields).toEqual({
      reason: "SIGINT",
    });
    expect(process.listenerCount("SIGTERM")).toBe(0);
  });

  it("exits 0 at end of input, with HTTP serving in between", async () => {
    const { logger, records, logged } = recordingLogger();
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const finished = runStart(config(), { stdin, stdout, logger });
    await logged("http listening");
    const url = records.find((record) => record.message === "http listening")?.fields?.url as string;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    stdin.end();
    expect(await finished).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
