// A wait on a Clock that an AbortSignal cuts short: what `ctx.sleep` gives agents, so their waits
// run on the team's clock — wall time in production, the simulated clock of a replay or a test.
import type { Clock } from "./Clock.ts";

/** Resolves after `ms` on `clock`; rejects with the signal's reason as soon as it aborts. */
export const sleepOn = (clock: Clock, ms: number, signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const abort = () => {
      clock.clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
