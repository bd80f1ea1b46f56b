// TROUPE_TRACE_DIR and TROUPE_TRACE_RETAIN: where the host records its trace (every task's input,
// model calls, tool runs, human answers and outcome, for `troupe replay`), on by default in
// `<data dir>/traces`, "off" to record nothing; and how many trace files to keep.
import { resolve } from "node:path";
import { TroupeError } from "@troupe/runtime";

export interface TraceConfig {
  /** The trace folder, or undefined when recording is off. */
  readonly dir: string | undefined;
  /** Trace files kept, the newest (a new file starts each UTC day, each start and every 64 MiB). */
  readonly retain: number;
}

export const DEFAULT_TRACE_RETAIN = 14;

export const resolveTraceConfig = (
  env: NodeJS.ProcessEnv,
  where: { readonly dataDir: string; readonly cwd: string },
): TraceConfig => {
  const raw = env.TROUPE_TRACE_RETAIN?.trim() || String(DEFAULT_TRACE_RETAIN);
  const retain = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(retain >= 1))
    throw new TroupeError(
      "InvalidCommand",
      `TROUPE_TRACE_RETAIN must be a whole number of trace files to keep, at least 1, got "${raw}"`,
    );
  const dir = env.TROUPE_TRACE_DIR?.trim();
  if (dir === "off") return { dir: undefined, retain };
  return { dir: dir ? resolve(where.cwd, dir) : resolve(where.dataDir, "traces"), retain };
};
