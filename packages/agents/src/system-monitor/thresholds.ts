// The system monitor's thresholds, each a band with hysteresis: an alert is raised when a value
// reaches `high` and cleared only once it falls below `low`, so a value hovering at the line does
// not raise and clear an alert on every check. Checked when the monitor is declared.
import { TroupeError } from "@troupe/runtime";

/** Raise at or above `high`, clear below `low` (low ≤ high). */
export interface Band {
  readonly high: number;
  readonly low: number;
}

export interface SystemThresholds {
  /** 1-minute load average per CPU. */
  readonly loadPerCpu: Band;
  /** Share of memory in use, 0–1. */
  readonly memoryUsed: Band;
  /** Share of the disk in use, 0–1. */
  readonly diskUsed: Band;
  /** The deepest agent queue. */
  readonly queueDepth: Band;
  /** Agents whose circuit breaker is open. */
  readonly openBreakers: Band;
  /** `heartbeat.missed` events within the monitor's window. */
  readonly missedHeartbeats: Band;
  /** Tasks in the dead letters (or dead-lettered within the window, when only the bus is known). */
  readonly deadLetters: Band;
}

export type ThresholdKey = keyof SystemThresholds;

export const defaultThresholds: SystemThresholds = {
  loadPerCpu: { high: 1, low: 0.8 },
  memoryUsed: { high: 0.9, low: 0.85 },
  diskUsed: { high: 0.9, low: 0.85 },
  queueDepth: { high: 50, low: 40 },
  openBreakers: { high: 1, low: 1 },
  missedHeartbeats: { high: 1, low: 1 },
  deadLetters: { high: 1, low: 1 },
};

/** A threshold as given: a band, or one number for both ends (no hysteresis). */
export type ThresholdsInput = Partial<Record<ThresholdKey, number | Partial<Band>>>;

const SHARES: readonly ThresholdKey[] = ["memoryUsed", "diskUsed"];

const checkValue = (key: ThresholdKey, end: string, value: unknown): number => {
  const name = `system-monitor thresholds.${key}${end}`;
  if (SHARES.includes(key)) {
    if (!(typeof value === "number" && value > 0 && value <= 1))
      throw new TroupeError("InvalidAgent", `${name} must be a share between 0 and 1, got ${String(value)}`);
  } else if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
    throw new TroupeError("InvalidAgent", `${name} must be a positive number, got ${String(value)}`);
  }
  return value as number;
};

/** The defaults with the given thresholds over them; a bad one throws InvalidAgent naming it. */
export const resolveThresholds = (input: ThresholdsInput | undefined): SystemThresholds => {
  const out: Record<string, Band> = { ...defaultThresholds };
  for (const [key, given] of Object.entries(input ?? {}) as [ThresholdKey, number | Partial<Band>][]) {
    if (!(key in defaultThresholds)) {
      throw new TroupeError(
        "InvalidAgent",
        `system-monitor thresholds.${key} is not a threshold (${Object.keys(defaultThresholds).join(", ")})`,
      );
    }
    if (typeof given !== "object" || given === null) {
      const value = checkValue(key, "", given);
      out[key] = { high: value, low: value };
      continue;
    }
    const base = defaultThresholds[key];
    const high = checkValue(key, ".high", given.high ?? base.high);
    const low = checkValue(key, ".low", given.low ?? Math.min(base.low, high));
    if (low > high) {
      throw new TroupeError(
        "InvalidAgent",
        `system-monitor thresholds.${key}.low (${low}) must not be above its high (${high})`,
      );
    }
    out[key] = { high, low };
  }
  return out as unknown as SystemThresholds;
};
