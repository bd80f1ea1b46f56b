// Test support: run the real `troupe` command as a child process from the repository root and
// wait for what it prints, line by line, instead of sleeping. With TROUPE_TEST_AGENTS it runs the
// tests' executable, the same main() with those test agents added to the team. Every wait has a deadline and fails
// with the output seen so far. Unless the test names one, each run gets a fresh data folder
// (removed when it exits), so runs in parallel never share a work queue.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

export interface TroupeProcess {
  readonly child: ChildProcess;
  /** Lines printed on stdout so far. */
  readonly stdout: readonly string[];
  /** Lines printed on stderr so far. */
  readonly stderr: readonly string[];
  /** stderr's JSON log records so far. */
  readonly logs: readonly Record<string, unknown>[];
  /** Write one line to its stdin. */
  send(line: string): void;
  /** Close its stdin. */
  end(): void;
  /** The first stdout line (at index `from` or later) that matches. */
  line(match: string | RegExp, options?: { from?: number }): Promise<string>;
  /** The first log record (at index `from` or later) whose `msg` is `msg`. */
  log(msg: string, options?: { from?: number }): Promise<Record<string, unknown>>;
  /** The exit code once it exited and its output was read (a signal is reported as its name). */
  readonly exited: Promise<number | string>;
}

const DEADLINE_MS = 15_000;

export const spawnTroupe = (args: readonly string[], env: Record<string, string | undefined> = {}) => {
  const { DISCORD_TOKEN: _token, REDIS_URL: _redis, ...inherited } = process.env;
  const ownDataDir = "TROUPE_DATA_DIR" in env ? undefined : mkdtempSync(join(tmpdir(), "troupe-data-"));
  const executable = env.TROUPE_TEST_AGENTS
    ? "apps/host/src/testing/troupeWithTestAgents.ts"
    : "apps/host/src/bin/troupe.ts";
  const child = spawn("node_modules/.bin/node", ["--conditions=troupe-source", executable, ...args], {
    cwd: repoRoot,
    env: {
      ...inherited,
      TROUPE_HTTP_PORT: "0",
      TROUPE_LOG_LEVEL: "info",
      ...(ownDataDir ? { TROUPE_DATA_DIR: ownDataDir } : {}),
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  const collect = (stream: NodeJS.ReadableStream, into: string[], onLine?: (line: string) => void) => {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const part of parts) {
        into.push(part);
        onLine?.(part);
      }
      wake();
    });
  };
  collect(child.stdout!, stdout);
  collect(child.stderr!, stderr, (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log record (a usage error, say)
    }
  });
  let exitedWith: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    // "close", not "exit": by then stdout and stderr have been read to their end.
    child.on("close", (code, signal) => {
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
      exitedWith = code ?? signal ?? "unknown";
      resolve(exitedWith);
      wake();
    });
  });

  const waitFor = <T>(find: () => T | undefined, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (exitedWith !== undefined) {
          done();
          reject(new Error(`troupe exited (${exitedWith}) before ${what}\n${transcript()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${DEADLINE_MS}ms\n${transcript()}`));
      }, DEADLINE_MS);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const transcript = () => `--- stdout ---\n${stdout.join("\n")}\n--- stderr ---\n${stderr.join("\n")}`;

  const process_: TroupeProcess = {
    child,
    stdout,
    stderr,
    logs,
    send: (line) => child.stdin!.write(`${line}\n`),
    end: () => child.stdin!.end(),
    line: (match, { from = 0 } = {}) =>
      waitFor(
        () =>
          stdout
            .slice(from)
            .find((line) => (typeof match === "string" ? line.includes(match) : match.test(line))),
        `stdout line matching ${String(match)}`,
      ),
    log: (msg, { from = 0 } = {}) =>
      waitFor(() => logs.slice(from).find((record) => record.msg === msg), `log "${msg}"`),
    exited,
  };
  return process_;
};
