// A private, throw-away `redis-server` for tests that must restart or kill Redis: the shared one on
// 127.0.0.1:6379 is used by every other test and must never go down. The server runs on a random
// free port. By default without persistence (`--save "" --appendonly no`), so a restart comes back
// empty, as after a crash or a flush; with `{ persistent: true }` it keeps an append-only file
// (fsync on every write) in a temporary folder, so a restart comes back with everything written.
// With `{ password }` it requires that password (`requirepass`), and `url` carries it. With
// `{ cluster: true }` it is a (slotless) Redis Cluster node, for what must refuse one.
//
//   const redis = await startPrivateRedis();   // answers PING when this resolves
//   new Redis(redis.url) …
//   await redis.restart();                     // SIGKILL, then start again on the same port
//   await redis.restart({ whileDown: () => … }) // act while it is down
//   await redis.stop();                        // in afterAll
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PrivateRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (`redis://:<password>@127.0.0.1:<port>` with a password) */
  readonly url: string;
  /**
   * Kill the server (SIGKILL, as a crash would) and start a fresh one on the same port; `whileDown`
   * runs in between, to act while Redis is unreachable.
   */
  restart(options?: { whileDown?: () => unknown }): Promise<void>;
  /** Kill the server; resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
const START_DEADLINE_MS = 10_000;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port assigned")),
      );
    });
  });

/** One PING on a fresh socket: true when the server answers (+PONG, or NOAUTH with a password). */
const answersPing = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: HOST, port });
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (chunk) => done(/^(\+PONG|-NOAUTH)/.test(chunk.toString())));
  });

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
  });

/** Start `redis-server` on a random free port; resolves once it answers PING. */
export const startPrivateRedis = async (
  options: { persistent?: boolean; password?: string; cluster?: boolean } = {},
): Promise<PrivateRedis> => {
  const port = await freePort();
  const dir =
    options.persistent || options.cluster ? await mkdtemp(join(tmpdir(), "troupe-redis-")) : undefined;
  const persistence = options.persistent
    ? ["--dir", dir!, "--save", "", "--appendonly", "yes", "--appendfsync", "always"]
    : ["--save", "", "--appendonly", "no"];
  const cluster = options.cluster
    ? ["--cluster-enabled", "yes", "--cluster-config-file", join(dir!, "nodes.conf")]
    : [];
  let server: ChildProcess | undefined;
  let log = "";
  // A test process that dies must not leave the server behind.
  const killOnExit = () => server?.kill("SIGKILL");
  process.once("exit", killOnExit);

  const start = async () => {
    log = "";
    const auth = options.password ? ["--requirepass", options.password] : [];
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", HOST, ...persistence, ...cluster, ...auth],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    server = child;
    child.stdout?.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-2_000);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-2_000);
    });
    const failedToSpawn = new Promise<never>((_, reject) => child.once("error", reject));
    failedToSpawn.catch(() => undefined);
    const deadline = Date.now() + START_DEADLINE_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      const ready = await Promise.race([answersPing(port), failedToSpawn]);
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGKILL");
    throw new Error(
      `redis-server on port ${port} did not answer PING within ${START_DEADLINE_MS} ms: ${log}`,
    );
  };

  const kill = async () => {
    const child = server;
    server = undefined;
    if (!child) return;
    child.kill("SIGKILL");
    await exited(child);
  };

  await start();
  return {
    port,
    url: `redis://${options.password ? `:${encodeURIComponent(options.password)}@` : ""}${HOST}:${port}`,
    restart: async (options = {}) => {
      await kill();
      await options.whileDown?.();
      await start();
    },
    stop: async () => {
      await kill();
      process.removeListener("exit", killOnExit);
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
};
