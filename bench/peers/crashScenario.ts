// W5: kill -9 a process inside the second step of a three-step run, start the program again, and
// see whether the run finishes by itself; if not, recover it the system's documented way. Reports
// whether it resumed by itself and how many steps that had finished ran again.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Phase } from "./crashChild.ts";

const CHILD = fileURLToPath(new URL("./crashChild.ts", import.meta.url));
/** How long a restarted program is given to finish the run (the steps take about a second). */
const RESUME_WAIT_MS = 6_000;

export interface CrashOutcome {
  readonly resumedByItself: boolean;
  /** Whether the run finished at all, by itself or by hand. */
  readonly finished: boolean;
  /** Steps that had finished before the kill and were started again afterwards. */
  readonly finishedStepsReRun: number;
}

const logLines = (folder: string): string[] => {
  const path = join(folder, "steps.log");
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
};

const startChild = (system: string, phase: Phase, folder: string): ChildProcess =>
  spawn(process.execPath, ["--conditions=troupe-source", CHILD, system, phase, folder], {
    stdio: ["ignore", "ignore", "inherit"],
  });

const stopChild = async (child: ChildProcess, signal: NodeJS.Signals) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
};

/** Polls the step log until `seen` holds for its lines or `timeoutMs` passes. */
const waitForLog = async (folder: string, seen: (lines: string[]) => boolean, timeoutMs: number) => {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (seen(logLines(folder))) return true;
    await sleep(20);
  }
  return false;
};

const finishedRun = (lines: string[]) => lines.includes("done third");

export const crashScenario = async (system: string): Promise<CrashOutcome> => {
  const folder = mkdtempSync(join(tmpdir(), `troupe-bench-w5-${system}-`));
  try {
    const first = startChild(system, "start", folder);
    const inSecondStep = await waitForLog(folder, (lines) => lines.includes("start second"), 30_000);
    await stopChild(first, "SIGKILL");
    if (!inSecondStep) throw new Error(`W5 ${system}: the run never reached its second step`);
    const beforeKill = logLines(folder);
    const finishedBefore = new Set(
      beforeKill.filter((line) => line.startsWith("done ")).map((line) => line.slice(5)),
    );

    const restarted = startChild(system, "restart", folder);
    const resumedByItself = await waitForLog(folder, finishedRun, RESUME_WAIT_MS);
    await stopChild(restarted, "SIGKILL");
    let finished = resumedByItself;
    if (!resumedByItself) {
      const byHand = startChild(system, "by-hand", folder);
      finished = await waitForLog(folder, finishedRun, RESUME_WAIT_MS);
      await stopChild(byHand, "SIGKILL");
    }
    const afterKill = logLines(folder).slice(beforeKill.length);
    const finishedStepsReRun = afterKill.filter(
      (line) => line.startsWith("start ") && finishedBefore.has(line.slice(6)),
    ).length;
    return { resumedByItself, finished, finishedStepsReRun };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
};
