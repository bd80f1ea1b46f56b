// The host process's one V8 setting: allocation-site pretenuring off, unless TROUPE_V8_PRETENURING=on.
// With it on, V8 soon allocates the objects XState and Troupe make for every step and task in the old
// generation, where they stay until a mark-compact and keep what they point to alive at every
// scavenge: a long run takes a third more CPU a task, scavenges three to five times longer and more
// memory (docs/benchmarks.md, "W1 and W3: garbage V8 tenures"). The executables call this before the
// runtime's modules load; V8 flags cannot go in NODE_OPTIONS.
import { setFlagsFromString } from "node:v8";

export const PRETENURING_VARIABLE = "TROUPE_V8_PRETENURING";

/** Apply TROUPE_V8_PRETENURING (`off` when unset); returns the error to print for any other value. */
export const configurePretenuring = (env: NodeJS.ProcessEnv): string | undefined => {
  const value = env[PRETENURING_VARIABLE] ?? "off";
  if (value === "on") return undefined;
  if (value !== "off") return `${PRETENURING_VARIABLE} must be on or off, got ${JSON.stringify(value)}`;
  setFlagsFromString("--no-allocation-site-pretenuring");
  return undefined;
};

/** For the executables, first thing: apply it, or print the error and exit 2 like any bad variable. */
export const configureProcessPretenuring = (): void => {
  const error = configurePretenuring(process.env);
  if (error === undefined) return;
  process.stderr.write(`troupe: ${error}\n`);
  process.exit(2);
};
