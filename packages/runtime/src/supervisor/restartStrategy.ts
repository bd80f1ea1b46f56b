// Restart strategies after Erlang/OTP, and the restart intensity that decides when restarting is
// no longer helping and the failure must escalate to the supervisor's parent.

export type RestartStrategy = "one_for_one" | "one_for_all" | "rest_for_one";

/** Which children restart when `crashed` crashes, in start order. */
export const childrenToRestart = (
  strategy: RestartStrategy,
  startOrder: readonly string[],
  crashed: string,
): readonly string[] => {
  switch (strategy) {
    case "one_for_one":
      return [crashed];
    case "one_for_all":
      return startOrder;
    case "rest_for_one":
      return startOrder.slice(startOrder.indexOf(crashed));
  }
};

/** At most `intensity` restarts within any `periodMs` window (OTP's MaxR/MaxT). */
export class RestartIntensity {
  readonly #restarts: number[] = [];

  readonly intensity: number;
  readonly periodMs: number;

  constructor(intensity: number, periodMs: number) {
    this.intensity = intensity;
    this.periodMs = periodMs;
  }

  /** Record a restart at `now`; false when it exceeds the intensity, meaning: escalate. */
  record(now: number): boolean {
    this.#restarts.push(now);
    while (this.#restarts.length > 0 && this.#restarts[0]! <= now - this.periodMs) this.#restarts.shift();
    return this.#restarts.length <= this.intensity;
  }

  /** Forget every restart: the team was restarted afresh. */
  clear(): void {
    this.#restarts.length = 0;
  }

  get recent(): number {
    return this.#restarts.length;
  }
}
