// The system-monitor agent: how the box and the team are doing, without a model. It reads load,
// memory and disk from the host and, when given the team's status and bus, open breakers, queue
// depth, missed heartbeats and dead letters; each is held against a threshold band with hysteresis,
// and a crossing raises `alert.raised` (or, once back below the band, `alert.resolved`) on the team's
// bus — the catalogue events the notifier, the Redis mirror and the metrics already watch. The bus is
// given to the factory (rather than emitted through `ctx.emit`, which reaches only the task's
// watchers) so alerts are runtime events, also when `check()` runs outside any task. The agent is a
// statechart: readingHost → readingTeam → judging → done, the same three steps `check()` takes.
import {
  type AgentMachineInput,
  defineAgent,
  type EventBus,
  type RuntimeEventInput,
  type TeamStatus,
  taskStep,
} from "@troupe/runtime";
import { deriveAlertId } from "@troupe/runtime/notify";
import { assign, setup } from "xstate";
import { AlertTracker, type Observation } from "./AlertTracker.ts";
import { systemReportFormatters } from "./formatReport.ts";
import { type HostProbe, nodeHostProbe } from "./hostProbe.ts";
import type { DiskReport, LoadReport, MemoryReport, RuntimeHealth, SystemReport } from "./SystemReport.ts";
import { resolveThresholds, type SystemThresholds, type ThresholdsInput } from "./thresholds.ts";

export type AlertEvent = Extract<RuntimeEventInput, { type: "alert.raised" | "alert.resolved" }>;

export interface SystemMonitorOptions {
  /** How to read the team's status; without it the report has no `runtime` part. */
  readonly status?: () => TeamStatus;
  /** Thresholds over `defaultThresholds`: a band `{ high, low }` or one number. */
  readonly thresholds?: ThresholdsInput;
  /** The file system to report on (default "/"). */
  readonly diskPath?: string;
  /** Where the machine's numbers come from (node:os and node:fs by default). */
  readonly probe?: HostProbe;
  /**
   * The team's bus: alerts are published on it as `alert.raised` / `alert.resolved`, and
   * `heartbeat.missed` and `task.dead_lettered` are counted from it between checks.
   */
  readonly bus?: EventBus;
  /** Also told every alert change (for a sink that does not watch the bus, or a test). */
  readonly onAlert?: (event: AlertEvent) => void;
  /** The dead letters now, e.g. `async () => (await queue.stats()).dead`. */
  readonly deadLetters?: () => number | Promise<number>;
}

export const SOURCE = "system-monitor";

/** What a run keeps between its steps: plain JSON, saved after every step. */
interface SystemMonitorContext {
  readonly host: HostReading | undefined;
  readonly team: TeamReading | undefined;
  readonly report: SystemReport | undefined;
}

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
const ratio = (used: number, total: number) => (total > 0 ? used / total : 0);
/** "system-monitor/load", "system-monitor/disk:/": always a valid alert id, whatever the disk path. */
const alertId = (key: string) => deriveAlertId(`${SOURCE}/${key}`);

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

const readRuntime = (
  status: TeamStatus,
  missedHeartbeats: number | null,
  deadLetters: number | null,
): RuntimeHealth => {
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
    missedHeartbeats,
    deadLetters,
  };
};

const observationsOf = (
  thresholds: SystemThresholds,
  load: LoadReport,
  memory: MemoryReport,
  disk: DiskReport | null,
  runtime: RuntimeHealth | null,
): Observation[] => {
  const loadPerCpu = load.one / load.cpus;
  const list: Observation[] = [
    {
      alertId: alertId("load"),
      value: loadPerCpu,
      band: thresholds.loadPerCpu,
      describe: () => ({
        title: "High load",
        text: `load ${loadPerCpu.toFixed(2)} per CPU over the last minute is at or above ${thresholds.loadPerCpu.high.toFixed(2)}`,
      }),
    },
    {
      alertId: alertId("memory"),
      value: memory.usedRatio,
      band: thresholds.memoryUsed,
      describe: () => ({
        title: "Memory almost full",
        text: `memory ${percent(memory.usedRatio)} used is at or above ${percent(thresholds.memoryUsed.high)}`,
      }),
    },
  ];
  if (disk) {
    list.push({
      alertId: alertId(`disk:${disk.path}`),
      value: disk.usedRatio,
      band: thresholds.diskUsed,
      severity: disk.usedRatio >= 0.98 ? "critical" : "warning",
      describe: () => ({
        title: "Disk almost full",
        text: `disk ${disk.path} ${percent(disk.usedRatio)} used is at or above ${percent(thresholds.diskUsed.high)}`,
      }),
    });
  }
  if (runtime) {
    list.push(
      {
        alertId: alertId("escalated"),
        value: runtime.escalated ? 1 : 0,
        band: { high: 1, low: 1 },
        severity: "critical",
        describe: () => ({
          title: "Team escalated",
          text: "the team escalated: its supervisor gave up and takes no tasks",
        }),
      },
      {
        alertId: alertId("breakers"),
        value: runtime.openBreakers.length,
        band: thresholds.openBreakers,
        describe: () => ({
          title: "Circuit breaker open",
          text: `circuit breaker open for ${runtime.openBreakers.join(", ")}`,
        }),
      },
      {
        alertId: alertId("queue"),
        value: runtime.deepestQueue?.depth ?? 0,
        band: thresholds.queueDepth,
        describe: () => ({
          title: "Deep queue",
          text: `queue of ${runtime.deepestQueue?.agent} is ${runtime.deepestQueue?.depth} deep (alert at ${thresholds.queueDepth.high})`,
        }),
      },
    );
    if (runtime.missedHeartbeats !== null) {
      const missed = runtime.missedHeartbeats;
      list.push({
        alertId: alertId("heartbeats"),
        value: missed,
        band: thresholds.missedHeartbeats,
        describe: () => ({
          title: "Missed heartbeats",
          text: `${missed} missed heartbeat${missed === 1 ? "" : "s"} since the last check`,
        }),
      });
    }
    if (runtime.deadLetters !== null) {
      const dead = runtime.deadLetters;
      list.push({
        alertId: alertId("dead-letters"),
        value: dead,
        band: thresholds.deadLetters,
        describe: () => ({
          title: "Dead letters",
          text: `${dead} task${dead === 1 ? "" : "s"} in the dead letters`,
        }),
      });
    }
  }
  return list;
};

/** The machine's numbers, and what could not be read. */
export interface HostReading {
  readonly load: LoadReport;
  readonly memory: MemoryReport;
  readonly disk: DiskReport | null;
  readonly problems: readonly string[];
}

/** The team's health (null without its status), and what could not be read. */
export interface TeamReading {
  readonly runtime: RuntimeHealth | null;
  readonly problems: readonly string[];
}

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Checks the box and the team in three steps — read the host, read the team, judge — and keeps the
 * alert state (hysteresis) between checks. `run` takes the steps in a row; the agent's machine takes
 * them as its states.
 */
export class SystemCheck {
  readonly #options: SystemMonitorOptions;
  readonly #thresholds: SystemThresholds;
  readonly #tracker = new AlertTracker();
  #missed = 0;
  #deadLettered = 0;

  constructor(options: SystemMonitorOptions = {}) {
    this.#options = options;
    this.#thresholds = resolveThresholds(options.thresholds);
    options.bus?.on("heartbeat.missed", () => {
      this.#missed += 1;
    });
    options.bus?.on("task.dead_lettered", () => {
      this.#deadLettered += 1;
    });
  }

  /** Read everything, compare with the thresholds, publish what changed, and report. */
  async run(): Promise<SystemReport> {
    return this.judge(await this.readHost(), await this.readTeam());
  }

  /** Load, memory and disk. */
  async readHost(): Promise<HostReading> {
    const probe = this.#options.probe ?? nodeHostProbe;
    const diskPath = this.#options.diskPath ?? "/";
    const load = readLoad(probe);
    const memory = readMemory(probe);
    const problems: string[] = [];
    let disk: DiskReport | null = null;
    try {
      disk = await readDisk(probe, diskPath);
    } catch (error) {
      problems.push(`disk ${diskPath} could not be read: ${describeError(error)}`);
    }
    return { load, memory, disk, problems };
  }

  /** The team's status, missed heartbeats and dead letters since the last check. */
  async readTeam(): Promise<TeamReading> {
    const options = this.#options;
    if (!options.status) return { runtime: null, problems: [] };
    const problems: string[] = [];
    const missed = options.bus ? this.#missed : null;
    let dead: number | null = options.bus ? this.#deadLettered : null;
    if (options.deadLetters) {
      try {
        dead = await options.deadLetters();
      } catch (error) {
        problems.push(`dead letters could not be read: ${describeError(error)}`);
      }
    }
    this.#missed = 0;
    this.#deadLettered = 0;
    return { runtime: readRuntime(options.status(), missed, dead), problems };
  }

  /** Hold the readings against the thresholds, publish the alerts that changed, and report. */
  judge(host: HostReading, team: TeamReading): SystemReport {
    const { load, memory, disk } = host;
    const { runtime } = team;
    const changes = this.#tracker.observe(observationsOf(this.#thresholds, load, memory, disk, runtime));
    for (const signal of changes.raised) {
      this.#publish({ type: "alert.raised", source: SOURCE, ...signal });
    }
    for (const id of changes.resolved) this.#publish({ type: "alert.resolved", alertId: id, source: SOURCE });
    const alerts = this.#tracker.active();
    return {
      load,
      memory,
      disk,
      runtime,
      warnings: [...alerts.map((alert) => alert.text), ...host.problems, ...team.problems],
      alerts,
      raised: changes.raised.map((signal) => signal.alertId),
      resolved: [...changes.resolved],
    };
  }

  #publish(event: AlertEvent): void {
    this.#options.bus?.publish({ ...event });
    this.#options.onAlert?.(event);
  }
}

/** One check with no memory of earlier ones (every value at or above its `high` is an alert). */
export const readSystemReport = (options: SystemMonitorOptions = {}): Promise<SystemReport> =>
  new SystemCheck(options).run();

/**
 * A system-monitor agent. Give it `status: () => team.status()` and the team's `bus` to watch the
 * team too and publish alerts. `check()` runs a check outside any task (a timer, the scheduler).
 */
export const createSystemMonitor = (options: SystemMonitorOptions = {}) => {
  // Bad thresholds are refused when the agent is declared, not at its first task.
  const check = new SystemCheck(options);
  const readHost = taskStep<HostReading>(async ({ ctx }) => {
    ctx.progress("reading load, memory and disk");
    return check.readHost();
  });
  const readTeam = taskStep<TeamReading>(() => check.readTeam());

  /** readingHost → readingTeam → judging (alerts published) → done. */
  const machine = setup({
    types: {} as { input: AgentMachineInput; context: SystemMonitorContext; output: SystemReport },
    actors: { readHost, readTeam },
  }).createMachine({
    id: "system-monitor",
    context: { host: undefined, team: undefined, report: undefined },
    initial: "readingHost",
    states: {
      readingHost: {
        invoke: {
          src: "readHost",
          onDone: { target: "readingTeam", actions: assign({ host: ({ event }) => event.output }) },
        },
      },
      readingTeam: {
        invoke: {
          src: "readTeam",
          onDone: { target: "judging", actions: assign({ team: ({ event }) => event.output }) },
        },
      },
      judging: {
        entry: assign({ report: ({ context }) => check.judge(context.host!, context.team!) }),
        always: "done",
      },
      done: { type: "final" },
    },
    output: ({ context }) => context.report!,
  });

  const agent = defineAgent({
    name: "system-monitor",
    description:
      "Reports host load, memory and disk, and the team's health: open breakers, queue depth, missed heartbeats, dead letters; raises alerts.",
    capabilities: ["system", "monitor"],
    format: systemReportFormatters,
    machine,
  });
  return Object.assign(agent, { check: () => check.run() });
};

/** The system monitor without the team's status: host numbers only. */
export const systemMonitor = createSystemMonitor();
