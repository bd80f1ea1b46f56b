// The soak run's plan, drawn from one seed: when each task is sent (through the console or Discord)
// and what it asks of the soak agent, and when each fault is injected on which host. The same seed
// and length give the same plan, so a failing run can be run again as it was (`--seed`). The first
// faults are one of each kind, in a seeded order; a longer run goes round the kinds again.
import type { SoakKind } from "../../apps/host/src/testing/soakAgent.ts";

export type Surface = "console" | "discord";

/** a and b share the private Redis (and Discord); c runs on the embedded store with the console. */
export type HostName = "a" | "b" | "c";
export const HOSTS: readonly HostName[] = ["a", "b", "c"];
export const clusterOf = (host: HostName): Cluster => (host === "c" ? "embedded" : "redis");
export type Cluster = "redis" | "embedded";

export const FAULT_KINDS = [
  "agent-errors",
  "model-outage",
  "redis-restart",
  "sigkill",
  "sigstop",
  "gateway-resume",
  "gateway-reidentify",
  "rest-down",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedTask {
  /** Milliseconds after the traffic started. */
  readonly at: number;
  readonly surface: Surface;
  readonly what: SoakKind;
}

export interface PlannedFault {
  readonly at: number;
  readonly kind: FaultKind;
  /** The host a SIGKILL or SIGSTOP hits. */
  readonly host?: HostName;
  /** How long the fault lasts (a SIGSTOP, Redis down, REST down, the model outage). */
  readonly forMs: number;
}

export interface SoakPlan {
  readonly seed: number;
  readonly minutes: number;
  /** Tasks are sent from 0 to trafficMs; faults end before it, so the end is a quiet recovery. */
  readonly trafficMs: number;
  /** The hosts' work-queue lease (TROUPE_LEASE) and the worker's renew interval that follows from it. */
  readonly leaseMs: number;
  readonly renewMs: number;
  readonly gatewayLeaseMs: number;
  readonly tasks: readonly PlannedTask[];
  readonly faults: readonly PlannedFault[];
}

/** mulberry32: a small, fast, seedable generator; enough for a plan, never for secrets. */
export const seededRandom = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

const LEASE_MS = 5_000;
const GATEWAY_LEASE_MS = 3_000;
/** Faults start after this (the hosts settle in) and end this long before the traffic stops. */
const WARM_UP_MS = 15_000;
const RECOVERY_MS = 35_000;
/** One fault every this long at most, once each kind had its turn. */
const FAULT_SPACING_MS = 40_000;
/** A burst of agent errors: as many bad inputs as it took the team to escalate in issue 14, and bugs. */
const BURST_BAD = 6;
const BURST_BUGS = 2;

export const makePlan = (options: { readonly seed: number; readonly minutes: number }): SoakPlan => {
  const { seed, minutes } = options;
  const random = seededRandom(seed);
  const between = (low: number, high: number) => Math.round(low + random() * (high - low));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const trafficMs = Math.round(minutes * 60_000);
  const renewMs = Math.min(5_000, Math.floor(LEASE_MS / 3));

  const tasks: PlannedTask[] = [];
  const steady = (): SoakKind => {
    const draw = random();
    if (draw < 0.7) return { kind: "ok", ms: between(50, 1_500) };
    if (draw < 0.95) return { kind: "model" };
    if (draw < 0.99) return { kind: "bad" };
    return { kind: "bug" };
  };
  for (const surface of ["console", "discord"] as const)
    for (let at = between(0, 1_000); at < trafficMs; at += between(1_500, 3_500))
      tasks.push({ at, surface, what: steady() });

  const windowMs = Math.max(0, trafficMs - WARM_UP_MS - RECOVERY_MS);
  const count = Math.max(FAULT_KINDS.length, Math.floor(windowMs / FAULT_SPACING_MS));
  const kinds: FaultKind[] = [];
  while (kinds.length < count) {
    const round = [...FAULT_KINDS];
    for (let index = round.length - 1; index > 0; index -= 1) {
      const other = Math.floor(random() * (index + 1));
      [round[index], round[other]] = [round[other]!, round[index]!];
    }
    kinds.push(...round);
  }
  const spacing = windowMs / count;
  const faults = kinds.slice(0, count).map((kind, index): PlannedFault => {
    const at = Math.round(WARM_UP_MS + index * spacing + random() * spacing * 0.3);
    switch (kind) {
      case "sigkill":
        // Never b: one host lives through the whole run, so its memory can be followed.
        return { at, kind, host: pick(["a", "c"] as const), forMs: 1_000 };
      case "sigstop":
        // Past the lease (its tasks are taken over) or within it (it just resumes).
        return { at, kind, host: pick(HOSTS), forMs: random() < 0.6 ? LEASE_MS + 3_000 : LEASE_MS / 2 };
      case "redis-restart":
        return { at, kind, forMs: between(1_000, 4_000) };
      case "rest-down":
        return { at, kind, forMs: between(8_000, 15_000) };
      case "model-outage":
        return { at, kind, forMs: 30_000 };
      default:
        return { at, kind, forMs: 0 };
    }
  });
  for (const fault of faults) {
    if (fault.kind === "agent-errors") {
      const surface = pick(["console", "discord"] as const);
      for (let index = 0; index < BURST_BAD + BURST_BUGS; index += 1)
        tasks.push({
          at: fault.at + index * 300,
          surface,
          what: { kind: index < BURST_BAD ? "bad" : "bug" },
        });
    }
    if (fault.kind === "model-outage")
      for (let at = fault.at; at < fault.at + fault.forMs; at += 2_000)
        tasks.push({ at, surface: pick(["console", "discord"] as const), what: { kind: "model" } });
  }
  tasks.sort((one, other) => one.at - other.at);
  return {
    seed,
    minutes,
    trafficMs,
    leaseMs: LEASE_MS,
    renewMs,
    gatewayLeaseMs: GATEWAY_LEASE_MS,
    tasks,
    faults,
  };
};

/** The phases of a model outage, in order, each a third of it: failing, hanging, busy; then it recovers. */
export const MODEL_OUTAGE_PHASES = ["fail", "hang", "busy"] as const;
export type ModelPhase = (typeof MODEL_OUTAGE_PHASES)[number] | "up";

export const formatClock = (ms: number): string => {
  const seconds = Math.max(0, Math.round(ms / 1_000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
};

export const describeFault = (fault: PlannedFault): string => {
  const lasting = fault.forMs > 0 ? ` for ${(fault.forMs / 1_000).toFixed(1)} s` : "";
  switch (fault.kind) {
    case "sigkill":
      return `SIGKILL host ${fault.host}, then start it again`;
    case "sigstop":
      return `SIGSTOP host ${fault.host}${lasting}, then SIGCONT`;
    case "agent-errors":
      return `${BURST_BAD} bad inputs and ${BURST_BUGS} agent bugs in a burst`;
    case "model-outage":
      return `model outage${lasting}: ${MODEL_OUTAGE_PHASES.join(", ")}, then recovers`;
    case "redis-restart":
      return `Redis killed and restarted, down${lasting}`;
    case "gateway-resume":
      return "gateway dropped (resumable): the client RESUMEs";
    case "gateway-reidentify":
      return "gateway dropped (invalid sequence): the client identifies again, a new session";
    case "rest-down":
      return `Discord REST answers 503${lasting}`;
  }
};

export const describePlan = (plan: SoakPlan): string[] => [
  `soak: seed ${plan.seed} (run again with --seed ${plan.seed}), ${plan.minutes} min of traffic, ${plan.tasks.length} tasks planned (${plan.tasks.filter((task) => task.surface === "console").length} console, ${plan.tasks.filter((task) => task.surface === "discord").length} Discord), lease ${plan.leaseMs / 1_000} s`,
  ...plan.faults.map((fault) => `soak: fault at ${formatClock(fault.at)}: ${describeFault(fault)}`),
];
