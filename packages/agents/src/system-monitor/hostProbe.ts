// Where the system monitor reads the machine's numbers: node:os and node:fs by default, a stand-in in
// tests so thresholds can be checked without depending on the box the tests run on.
import { statfs } from "node:fs/promises";
import { availableParallelism, freemem, loadavg, totalmem } from "node:os";

export interface DiskStats {
  /** Block size in bytes. */
  readonly bsize: number;
  /** Blocks on the file system. */
  readonly blocks: number;
  /** Blocks free for an unprivileged user. */
  readonly bavail: number;
}

export interface HostProbe {
  /** Load averages over 1, 5 and 15 minutes (zeros on Windows). */
  loadavg(): readonly number[];
  cpuCount(): number;
  totalmem(): number;
  /** Memory available to new work, in bytes. */
  freemem(): number;
  statfs(path: string): Promise<DiskStats>;
}

export const nodeHostProbe: HostProbe = {
  loadavg,
  cpuCount: availableParallelism,
  totalmem,
  freemem,
  statfs: (path) => statfs(path),
};
