// The clock every timer of the runtime goes through: XState's Clock plus `now()`, so a whole team
// can run on XState's SimulatedClock in tests and on wall time in production.
/** XState's clock interface (setTimeout/clearTimeout) plus `now()`; SimulatedClock fits it. */
export interface Clock {
  // biome-ignore lint/suspicious/noExplicitAny: the timer handle type differs between clocks
  setTimeout(fn: (...args: any[]) => void, timeout: number): any;
  // biome-ignore lint/suspicious/noExplicitAny: the timer handle type differs between clocks
  clearTimeout(id: any): void;
  now(): number;
}

export const systemClock: Clock = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (id: ReturnType<typeof setTimeout>) => clearTimeout(id),
  now: () => Date.now(),
};
