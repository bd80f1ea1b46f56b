// In a terminal the console is quiet: log records go to a file in the data folder (named once under
// the banner) and only warnings and errors reach the screen, as short lines; with a level chosen,
// JSON lines stay on stderr. Driven through runStart with terminal-like streams.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resolveHostConfig } from "../config/hostConfig.ts";
import { runStart } from "../start/runStart.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Streams that say they are a terminal, and everything written to the screen so far. */
const terminal = () => {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  let screen = "";
  stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString("utf8");
  });
  const shown = (text: string) => vi.waitFor(() => expect(screen).toContain(text), { timeout: 10_000 });
  return { stdin, stdout, screen: () => screen, shown };
};

/** A port something already listens on, so the host's HTTP server logs an error and runs on. */
const busyPort = async (): Promise<number> => {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => server.close());
  return (server.address() as { port: number }).port;
};

const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "troupe-terminal-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const logLines = () => {
  // Swallowed while recorded, so the test's output stays clean.
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  cleanups.push(() => stderr.mockRestore());
  return () => stderr.mock.calls.map(([chunk]) => String(chunk)).filter((line) => line.includes('"msg":'));
};

describe("troupe start in a terminal", () => {
  it("writes its logs to a file named once, and shows only warnings and errors", async () => {
    const dir = dataDir();
    const port = await busyPort();
    const stderrLogs = logLines();
    const { stdin, stdout, screen, shown } = terminal();
    const config = resolveHostConfig({ dataDir: dir, port: String(port) }, {});
    const finished = runStart(config, { stdin, stdout });

    await shown(`Logs go to ${join(dir, "default.log")}; warnings and errors show here too.`);
    await shown("troupe> ");
    expect(screen()).toContain("⚠ error: http server not started: running without /metrics and /healthz");
    stdin.write("/ask echo hello\r");
    await shown("✅ done");
    await shown("hello\n");
    stdin.end();
    expect(await finished).toBe(0);

    expect(screen()).not.toContain('"msg":');
    expect(screen().match(/Logs go to/g)).toHaveLength(1);
    expect(stderrLogs()).toEqual([]);
    const records = readFileSync(join(dir, "default.log"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(records.map((record) => record.msg)).toEqual(
      expect.arrayContaining([
        "troupe started",
        "http server not started: running without /metrics and /healthz",
      ]),
    );
    expect(records.at(-1)).toMatchObject({ level: "info", msg: "troupe stopped" });
  });

  it("keeps JSON lines on stderr when a log level is chosen", async () => {
    const dir = dataDir();
    const stderrLogs = logLines();
    const { stdin, stdout, screen, shown } = terminal();
    const config = resolveHostConfig({ dataDir: dir, port: "0", logLevel: "info" }, {});
    const finished = runStart(config, { stdin, stdout });
    await shown("troupe> ");
    stdin.end();
    expect(await finished).toBe(0);

    expect(screen()).not.toContain("Logs go to");
    expect(stderrLogs().map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain("troupe started");
  });
});
