// One consumer name, one live process. A worker's consumer name is how it finds its own leases again
// after a restart (it takes them back at once instead of after their lease), so two live processes
// with one name would take each other's running tasks over. A ConsumerName is held by one process at
// a time: on the embedded store a lock on a file that dies with the process, on Redis a liveness
// lease the holder renews. Claiming a name a live process holds fails with ConsumerNameInUse naming it.
import { hostname } from "node:os";
import { TroupeError } from "../errors/TroupeError.ts";

export interface ConsumerName {
  readonly consumer: string;
  /** False once the name was lost (Redis: another process took it while this one was silent). */
  readonly held: boolean;
  /** Be told when the name is lost; returns the unsubscribe. */
  onLost(listener: (reason: string) => void): () => void;
  /** Give the name back (idempotent). */
  release(): Promise<void>;
}

/** Who holds a name: the process, the machine it runs on, and since when (epoch ms). */
export interface ConsumerNameHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: number;
}

/** This process as a holder. */
export const thisProcess = (now = Date.now()): ConsumerNameHolder => ({
  pid: process.pid,
  host: hostname(),
  since: now,
});

/** Whether `holder` is a process of this machine that is gone (so its name is free at once). */
export const isGoneFromThisMachine = (holder: ConsumerNameHolder): boolean => {
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return true; // a previous run that had our pid: not alive as another
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
};

export const consumerNameInUse = (
  consumer: string,
  where: string,
  holder: ConsumerNameHolder | undefined,
): TroupeError => {
  const who = holder
    ? `process ${holder.pid} on ${holder.host === hostname() ? "this machine" : holder.host}, since ${new Date(holder.since).toISOString()}`
    : "another live process";
  return new TroupeError(
    "ConsumerNameInUse",
    `the consumer name "${consumer}" is in use on ${where} by ${who}`,
    { data: { consumer, ...(holder ? { holder } : {}) } },
  );
};
