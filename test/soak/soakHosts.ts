// The soak run's hosts: each a real `troupe start` (spawnTroupe, as the end-to-end tests run it)
// that the run can start, SIGKILL and start again on the same data folder and consumer name, SIGSTOP
// and SIGCONT, and stop with SIGTERM at the end. Every line it prints reaches the run as it comes
// (stdout: the console; stderr: the JSON logs, also kept in a file per life for reading afterwards),
// and a host that exits on its own is reported and started again, as a process manager would.
import { createWriteStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import type { HostLife } from "./soakObservations.ts";
import { type Cluster, clusterOf, type HostName } from "./soakPlan.ts";

export type HostState = "starting" | "up" | "stopped" | "down";

export interface HostListener {
  /** A line the host printed on stdout (its console). */
  line?(host: SoakHost, line: string, at: number): void;
  /** A JSON log record the host wrote on stderr. */
  log?(host: SoakHost, record: Record<string, unknown>, at: number): void;
  /** A life of the host ended (`life.endedBySoak` says whether the soak run ended it). */
  exited?(host: SoakHost, life: HostLife): void;
}

export interface SoakHost {
  readonly name: HostName;
  readonly cluster: Cluster;
  readonly state: HostState;
  /** The pid of its current life (undefined before the first start). */
  readonly pid: number | undefined;
  /** Its HTTP server, e.g. http://127.0.0.1:41234 (changes at each start). */
  readonly httpUrl: string | undefined;
  /** Every life so far, the current one last. */
  readonly lives: readonly HostLife[];
  /** Start it and wait until it logs "troupe started" (and, at its first start, `readyLog`). */
  start(): Promise<void>;
  send(line: string): void;
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
  /** SIGTERM, as a person stops it; SIGKILL when it has not exited within `deadlineMs`. */
  stop(deadlineMs: number): Promise<number | string | undefined>;
  /** Resident memory of its current process, in MB (undefined when it has none). */
  rssMb(): number | undefined;
}

const START_DEADLINE_MS = 120_000;

export const createSoakHost = (options: {
  readonly name: HostName;
  readonly env: Record<string, string>;
  /**
   * A log message to wait for besides "troupe started" at the first start (e.g. "discord surface
   * started": later starts of a Redis host stand by while the other one holds the gateway).
   */
  readonly readyLog?: string;
  /** Where each life's stderr is kept (host-<name>-<life>.log). */
  readonly logDir: string;
  readonly listener: HostListener;
  /** Lives of every host, shared with the observations. */
  readonly lives: HostLife[];
}): SoakHost => {
  const { name, listener } = options;
  let state: HostState = "down";
  let troupe: TroupeProcess | undefined;
  let httpUrl: string | undefined;
  let exitExpected = false;
  const lives: HostLife[] = [];

  const host: SoakHost = {
    name,
    cluster: clusterOf(name),
    get state() {
      return state;
    },
    get pid() {
      return troupe?.child.pid;
    },
    get httpUrl() {
      return httpUrl;
    },
    lives,
    async start() {
      state = "starting";
      exitExpected = false;
      httpUrl = undefined;
      const started = spawnTroupe(["start"], options.env);
      troupe = started;
      const life: HostLife = { host: name, pid: started.child.pid ?? -1, from: Date.now() };
      lives.push(life);
      options.lives.push(life);
      const file = createWriteStream(join(options.logDir, `host-${name}-${lives.length}.log`));
      let readOut = 0;
      let readErr = 0;
      const waiters = new Set<() => void>();
      started.child.stdout?.on("data", () => {
        const at = Date.now();
        for (; readOut < started.stdout.length; readOut += 1)
          listener.line?.(host, started.stdout[readOut]!, at);
      });
      started.child.stderr?.on("data", () => {
        const at = Date.now();
        for (; readErr < started.stderr.length; readErr += 1) {
          const text = started.stderr[readErr]!;
          file.write(`${text}\n`);
          let record: Record<string, unknown> | undefined;
          try {
            record = JSON.parse(text) as Record<string, unknown>;
          } catch {
            record = undefined;
          }
          if (record) {
            if (record.msg === "http listening" && typeof record.url === "string") httpUrl = record.url;
            listener.log?.(host, record, at);
          }
        }
        for (const wake of waiters) wake();
      });
      void started.exited.then((exit) => {
        life.to = Date.now();
        life.exit = exit;
        life.endedBySoak = exitExpected;
        file.end();
        if (troupe === started) state = "down";
        for (const wake of waiters) wake();
        listener.exited?.(host, life);
      });
      const wanted = [
        "troupe started",
        ...(options.readyLog && lives.length === 1 ? [options.readyLog] : []),
      ];
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (wanted.every((msg) => started.logs.some((record) => record.msg === msg))) done(resolve);
          else if (life.to !== undefined)
            done(() => reject(new Error(`host ${name} exited (${life.exit}) before it started`)));
        };
        const timer = setTimeout(
          () =>
            done(() => reject(new Error(`host ${name} did not start within ${START_DEADLINE_MS / 1_000} s`))),
          START_DEADLINE_MS,
        );
        const done = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      });
      state = "up";
    },
    send(line) {
      troupe?.send(line);
    },
    async kill() {
      if (!troupe) return;
      exitExpected = true;
      troupe.child.kill("SIGKILL");
      state = "down";
      await troupe.exited;
    },
    pause() {
      troupe?.child.kill("SIGSTOP");
      state = "stopped";
    },
    resume() {
      troupe?.child.kill("SIGCONT");
      state = "up";
    },
    async stop(deadlineMs) {
      const running = troupe;
      if (!running || lives.at(-1)?.to !== undefined) return lives.at(-1)?.exit;
      exitExpected = true;
      running.child.kill("SIGCONT");
      running.child.kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exit = await Promise.race([
        running.exited,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), deadlineMs);
        }),
      ]);
      clearTimeout(timer);
      if (exit !== undefined) return exit;
      running.child.kill("SIGKILL");
      await running.exited;
      return `SIGKILL after ${deadlineMs / 1_000} s without exiting on SIGTERM`;
    },
    rssMb() {
      const pid = troupe?.child.pid;
      if (pid === undefined || state === "down") return undefined;
      try {
        const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
        return kb === undefined ? undefined : Number(kb) / 1_024;
      } catch {
        return undefined;
      }
    },
  };
  return host;
};
