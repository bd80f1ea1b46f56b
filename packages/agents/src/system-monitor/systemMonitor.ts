// The system-monitor agent: how the box and the team are doing, without a model. It reads load,
// memory and disk from the host and, when given the team's status, open breakers and queue depth,
// and turns whatever crosses a threshold into a plain-language warning.
import { defineAgent, type TeamStatus, TroupeError } from "@troupe/runtime";
import { type HostProbe, nodeHostProbe } from "./hostProbe.ts";

export interface SystemThresholds {
  /** Warn when the 1-minute load average per CPU is above this (default 1). */
  readonly loadPerCpu: number;
  /** Warn when this share of memory is in use, 0–1 (default 0.9). */
  readonly memoryUsed: number;
  /** Warn when this share of the disk is in use, 0–1 (default 0.9). */
  readonly diskUsed: number;
  /** Warn when an agent's queue is at least this deep (default 50). */
  readonly queueDepth: number;
}

export const defaultThresholds: SystemThresholds = {
  loadPerCpu: 1,
  memoryUsed: 0.9,
  diskUsed: 0.9,
  queueDepth: 50,
};

export interface SystemMonitorOptions {
  /** How to read the team's status; without it the report has no `runtime` part. */
  readonly status?: () => TeamStatus;
  readonly thresholds?: Partial<SystemThresholds>;
  /** The file system to report on (default "/"). */
  readonly diskPath?: string;
  /** Where the machine's numbers come from (node:os and node:fs by default). */
  readonly probe?: HostProbe;
}

export interface LoadReport {
  readonly one: number;
  readonly five: number;
  readonly fifteen: number;
  readonly cpus: number;
}

export interface MemoryReport {
  readonly totalBytes: number;
  readonly freeBytes: number;
  readonly usedBytes: number;
  /** usedBytes / totalBytes, 0–1. */
  readonly usedRatio: number;
}

export interface DiskReport extends MemoryReport {
  readonly path: string;
}

export interface RuntimeHealth {
  readonly agents: number;
  readonly openBreakers: readonly string[];
  readonly halfOpenBreakers: readonly string[];
  /** Tasks waiting, over the whole team. */
  readonly queued: number;
  readonly inFlight: number;
  /** The agent with the deepest queue, when any agent has a queue. */
  readonly deepestQueue: { readonly agent: string; readonly depth: number } | null;
  readonly accepting: boolean;
  readonly escalated: boolean;
}

export interface SystemReport {
  readonly load: LoadReport;
  readonly memory: MemoryReport;
  /** Null when the disk could not be read (a warning says why). */
  readonly disk: DiskReport | null;
  /** Null when the monitor was not given the team's status. */
  readonly runtime: RuntimeHealth | null;
  readonly warnings: readonly string[];
}

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
const ratio = (used: number, total: number) => (total > 0 ? used / total : 0);

const checkThresholds = (thresholds: Partial<SystemThresholds> | undefined): SystemThresholds => {
  const merged = { ...defaultThresholds, ...thresholds };
  for (const key of ["memoryUsed", "diskUsed"] as const) {
    const value = merged[key];
    if (!(typeof value === "number" && value > 0 && value <= 1)) {
      throw new TroupeError(
        "InvalidAgent",
        `system-monitor thresholds.${key} must be a share between 0 and 1, got ${String(value)}`,
      );
    }
  }
  for (const key of ["loadPerCpu", "queueDepth"] as const) {
    const value = merged[key];
    if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
      throw new TroupeError(
        "InvalidAgent",
        `system-monitor thresholds.${key} must be a positive number, got ${String(value)}`,
      );
    }
  }
  return merged;
};

const readLoad = (probe: HostProbe): LoadReport => {
  const [one = 0, five = 0, fifteen = 0] = probe.loadavg();
  return { one, five, fifteen, cpus: Math.max(1, probe.cpuCount()) };
};

const readMemory = (probe: HostProbe): MemoryReport => {
  const totalBytes = probe.totalmem();
  const freeBytes = Math.min(probe.freemem(), totalBytes);
  const usedBytes = totalBytes - freeBytes;
  return { totalBytes, freeBytes, usedBytes, usedRatio: ratio(usedBytes, totalBytes) };
};

const readDisk = async (probe: HostProbe, path: string): Promise<DiskReport> => {
  const stats = await probe.statfs(path);
  const totalBytes = stats.blocks * stats.bsize;
  const freeBytes = Math.min(stats.bavail * stats.bsize, totalBytes);
  const usedBytes = totalBytes - freeBytes;
  return { path, totalBytes, freeBytes, usedBytes, usedRatio: ratio(usedBytes, totalBytes) };
};

const readRuntime = (status: TeamStatus): RuntimeHealth => {
  let deepestQueue: RuntimeHealth["deepestQueue"] = null;
  for (const agent of status.agents) {
    if (agent.queue > 0 && agent.queue > (deepestQueue?.depth ?? 0))
      deepestQueue = { agent: agent.name, depth: agent.queue };
  }
  return {
    agents: status.agents.length,
    openBreakers: status.agents.filter((agent) => agent.breaker === "open").map((agent) => agent.name),
    halfOpenBreakers: status.agents
      .filter((agent) => agent.breaker === "half_open")
      .map((agent) => agent.name),
    queued: status.queued,
    inFlight: status.inFlight,
    deepestQueue,
    accepting: status.accepting,
    escalated: status.escalated,
  };
};

/** Read the machine (and the team, when `status` is given) and list what crosses a threshold. */
export const readSystemReport = async (options: SystemMonitorOptions = {}): Promise<SystemReport> => {
  const thresholds = checkThresholds(options.thresholds);
  const probe = options.probe ?? nodeHostProbe;
  const diskPath = options.diskPath ?? "/";
  const warnings: string[] = [];

  const load = readLoad(probe);
  const loadPerCpu = load.one / load.cpus;
  if (loadPerCpu > thresholds.loadPerCpu) {
    warnings.push(
      `load ${loadPerCpu.toFixed(2)} per CPU over the last minute is above ${thresholds.loadPerCpu.toFixed(2)}`,
    );
  }

  const memory = readMemory(probe);
  if (memory.usedRatio >= thresholds.memoryUsed) {
    warnings.push(
      `memory ${percent(memory.usedRatio)} used is at or above ${percent(thresholds.memoryUsed)}`,
    );
  }

  let disk: DiskReport | null = null;
  try {
    disk = await readDisk(probe, diskPath);
    if (disk.usedRatio >= thresholds.diskUsed) {
      warnings.push(
        `disk ${diskPath} ${percent(disk.usedRatio)} used is at or above ${percent(thresholds.diskUsed)}`,
      );
    }
  } catch (error) {
    warnings.push(
      `disk ${diskPath} could not be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  const runtime = options.status ? readRuntime(options.status()) : null;
  if (runtime) {
    if (runtime.escalated) warnings.push("the team escalated: its supervisor gave up and takes no tasks");
    if (runtime.openBreakers.length > 0)
      warnings.push(`circuit breaker open for ${runtime.openBreakers.join(", ")}`);
    if (runtime.deepestQueue && runtime.deepestQueue.depth >= thresholds.queueDepth) {
      warnings.push(
        `queue of ${runtime.deepestQueue.agent} is ${runtime.deepestQueue.depth} deep (warning at ${thresholds.queueDepth})`,
      );
    }
  }

  return { load, memory, disk, runtime, warnings };
};

/** A system-monitor agent; give it `status` (e.g. `() => team.status()`) to report on the team too. */
export const createSystemMonitor = (options: SystemMonitorOptions = {}) => {
  // Bad thresholds are refused when the agent is declared, not at its first task.
  checkThresholds(options.thresholds);
  return defineAgent({
    name: "system-monitor",
    description: "Reports host load, memory and disk, and the team's health: open breakers, queue depth.",
    capabilities: ["system", "monitor"],
    handle: (): Promise<SystemReport> => readSystemReport(options),
  });
};

/** The system monitor without the team's status: host numbers only. */
export const systemMonitor = createSystemMonitor();
