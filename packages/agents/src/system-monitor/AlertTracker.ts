// Hysteresis for alerts: remembers which alerts are up, raises one when its value reaches the band's
// `high` and resolves it only when the value falls below `low`. Pure state, no I/O: the monitor
// publishes what this returns.
import type { Band } from "./thresholds.ts";

export interface AlertSignal {
  /** Stable per condition ("system-monitor/disk:/"), so a resolve matches its raise. */
  readonly alertId: string;
  readonly severity: "info" | "warning" | "critical";
  readonly title: string;
  readonly text: string;
}

export interface Observation {
  readonly alertId: string;
  readonly value: number;
  readonly band: Band;
  readonly severity?: AlertSignal["severity"];
  /** Title and text when it is raised (called only then). */
  describe(): { title: string; text: string };
}

export interface AlertChanges {
  readonly raised: readonly AlertSignal[];
  readonly resolved: readonly string[];
}

export class AlertTracker {
  readonly #active = new Map<string, AlertSignal>();

  /** Compare observations to their bands; what changed since the last call. */
  observe(observations: readonly Observation[]): AlertChanges {
    const raised: AlertSignal[] = [];
    const resolved: string[] = [];
    for (const observation of observations) {
      const up = this.#active.has(observation.alertId);
      if (!up && observation.value >= observation.band.high) {
        const signal = {
          alertId: observation.alertId,
          severity: observation.severity ?? "warning",
          ...observation.describe(),
        };
        this.#active.set(observation.alertId, signal);
        raised.push(signal);
      } else if (up && observation.value < observation.band.low) {
        this.#active.delete(observation.alertId);
        resolved.push(observation.alertId);
      }
    }
    return { raised, resolved };
  }

  /** Alerts up now, in the order they were raised. */
  active(): AlertSignal[] {
    return [...this.#active.values()];
  }
}
