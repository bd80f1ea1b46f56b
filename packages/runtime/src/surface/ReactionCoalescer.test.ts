// The coalescer on a simulated clock: the first state goes out at once, a burst costs one more change
// (intermediate states skipped, never queued), changes of one message are spaced, a limited number
// run at once, failures and rate-limit notices back off, and a final state is forgotten once shown.
// A reaction found on a message after a restart (`showing`) is the one the next change removes.
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "xstate";
import { flush } from "../testing/index.ts";
import { ReactionCoalescer } from "./ReactionCoalescer.ts";

interface Call {
  key: string;
  from: string | undefined;
  to: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

const setup = (options: { intervalMs?: number; maxInFlight?: number } = {}) => {
  const clock = new SimulatedClock();
  const calls: Call[] = [];
  const coalescer = new ReactionCoalescer({
    clock,
    intervalMs: options.intervalMs ?? 250,
    maxInFlight: options.maxInFlight ?? 4,
    backoff: { baseMs: 1_000, maxMs: 8_000 },
    apply: (key, from, to) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ key, from, to, resolve, reject });
      }),
  });
  const finishAll = async () => {
    for (const call of calls.splice(0)) call.resolve();
    await flush(2);
  };
  return { clock, calls, coalescer, finishAll };
};

describe("ReactionCoalescer", () => {
  it("shows the first state at once and coalesces a burst into one change", async () => {
    const { clock, calls, coalescer, finishAll } = setup();
    coalescer.set("t1", "📥");
    expect(calls.map((call) => call.to)).toEqual(["📥"]);
    for (let i = 0; i < 200; i += 1) coalescer.set("t1", i % 2 === 0 ? "👀" : "⚙️");
    coalescer.set("t1", "✅", { final: true });
    expect(calls).toHaveLength(1); // the others wait while 📥 is in flight
    await finishAll();
    clock.increment(250);
    await flush(2);
    expect(calls.map(({ from, to }) => [from, to])).toEqual([["📥", "✅"]]);
    await finishAll();
    expect(coalescer.stats()).toMatchObject({ requested: 202, applied: 2, skipped: 200 });
    expect(coalescer.pending).toBe(0);
    expect(coalescer.shown("t1")).toBeUndefined(); // final: forgotten once shown
  });

  it("applies each state in order when each one settles before the next", async () => {
    const { clock, calls, coalescer, finishAll } = setup();
    const seen: string[] = [];
    for (const state of ["📥", "👀", "⚙️", "✅"]) {
      coalescer.set("t1", state, { final: state === "✅" });
      clock.increment(250);
      await flush(2);
      seen.push(...calls.map((call) => call.to));
      await finishAll();
    }
    expect(seen).toEqual(["📥", "👀", "⚙️", "✅"]);
  });

  it("spaces the changes of one message by intervalMs", async () => {
    const { clock, calls, coalescer, finishAll } = setup();
    coalescer.set("t1", "📥");
    await finishAll();
    coalescer.set("t1", "⚙️");
    await flush(2);
    expect(calls).toHaveLength(0);
    clock.increment(249);
    await flush(2);
    expect(calls).toHaveLength(0);
    clock.increment(1);
    await flush(2);
    expect(calls.map((call) => call.to)).toEqual(["⚙️"]);
  });

  it("runs at most maxInFlight changes at once, the others waiting in arrival order", async () => {
    const { calls, coalescer, finishAll } = setup({ maxInFlight: 2 });
    for (const key of ["a", "b", "c", "d"]) coalescer.set(key, "📥");
    expect(calls.map((call) => call.key)).toEqual(["a", "b"]);
    coalescer.set("c", "⚙️"); // still waiting: coalesced, not queued twice
    await finishAll();
    expect(calls.map((call) => [call.key, call.to])).toEqual([
      ["c", "⚙️"],
      ["d", "📥"],
    ]);
  });

  it("backs off after a failure and tries the latest state again", async () => {
    const { clock, calls, coalescer, finishAll } = setup();
    coalescer.set("t1", "📥");
    calls.shift()!.reject(new Error("503"));
    await flush(2);
    coalescer.set("t1", "⚙️");
    clock.increment(999);
    await flush(2);
    expect(calls).toHaveLength(0);
    clock.increment(1);
    await flush(2);
    expect(calls.map(({ from, to }) => [from, to])).toEqual([[undefined, "⚙️"]]);
    await finishAll();
    expect(coalescer.stats()).toMatchObject({ failed: 1, applied: 1 });
  });

  it("pauses every change under pressure", async () => {
    const { clock, calls, coalescer } = setup();
    coalescer.pressure(5_000);
    coalescer.set("t1", "📥");
    expect(calls).toHaveLength(0);
    clock.increment(5_000);
    await flush(2);
    expect(calls).toHaveLength(1);
  });

  it("settles once everything shows its state", async () => {
    const { coalescer, finishAll } = setup();
    coalescer.set("t1", "📥", { final: true });
    let settled = false;
    void coalescer.settled().then(() => {
      settled = true;
    });
    await flush(2);
    expect(settled).toBe(false);
    await finishAll();
    await flush(2);
    expect(settled).toBe(true);
  });

  it("moves a message from the reaction it was found showing after a restart, and not at all when it is the wanted one", async () => {
    const { calls, coalescer, finishAll } = setup();
    coalescer.showing("t1", "⚙️");
    coalescer.showing("t2", "✅");
    expect(calls).toEqual([]);
    coalescer.set("t1", "📥");
    coalescer.set("t2", "✅", { final: true });
    expect(calls.map(({ key, from, to }) => ({ key, from, to }))).toEqual([
      { key: "t1", from: "⚙️", to: "📥" },
    ]);
    await finishAll();
    expect(coalescer.shown("t1")).toBe("📥");
    expect(coalescer.shown("t2")).toBeUndefined(); // final and shown: forgotten
    coalescer.showing("t1", "❌"); // already tracked: ignored
    expect(coalescer.shown("t1")).toBe("📥");
  });
});
