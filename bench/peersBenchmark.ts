// `npm run bench -- peers`: installs bench/peers (LangGraph.js, Mastra, from its own lockfile) when
// it is missing or stale, so the root `npm ci` stays light, then runs bench/peers/peers.ts in a
// process of its own and returns the figures it prints (one JSON line each); its progress is passed on.
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Figure } from "./measure.ts";
import { progress } from "./measure.ts";

const PEERS = fileURLToPath(new URL("./peers/", import.meta.url));

/** Runs `command` in bench/peers, stderr passed on; resolves with its stdout, rejects on a failure. */
const runInPeers = (command: string, args: readonly string[]) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { cwd: PEERS, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} ${args.join(" ")} in bench/peers exited ${code}`)),
    );
  });

/** `npm ci` in bench/peers unless its node_modules already matches its lockfile. */
const installPeers = async () => {
  const installed = `${PEERS}node_modules/.package-lock.json`;
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(`${PEERS}package-lock.json`).mtimeMs)
    return;
  progress("peers: installing LangGraph.js and Mastra into bench/peers (npm ci, its own lockfile)");
  // Under `npm run`, npm_execpath is the npm that runs us; otherwise the npm on PATH.
  const npm = process.env.npm_execpath;
  await (npm
    ? runInPeers(process.execPath, [npm, "ci", "--no-audit", "--no-fund"])
    : runInPeers("npm", ["ci", "--no-audit", "--no-fund"]));
};

export const peersBenchmark = async (): Promise<Figure[]> => {
  await installPeers();
  const stdout = await runInPeers(process.execPath, [
    "--conditions=troupe-source",
    "--expose-gc",
    "peers.ts",
  ]);
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Figure);
};
