// Actors of a machine sharing their initial snapshot still have their own context and move on their own.
import { describe, expect, it } from "vitest";
import { assign, createActor, setup } from "xstate";
import { sharingInitialSnapshot } from "./sharingInitialSnapshot.ts";

interface Counter {
  readonly name: string;
  readonly count: number;
}

/** A counter whose initial context is `contextOf(input)`. */
const counterWith = (contextOf: (input: { name: string }) => Counter) =>
  setup({ types: { input: {} as { name: string }, context: {} as Counter } }).createMachine({
    context: ({ input }) => contextOf(input),
    initial: "idle",
    states: {
      idle: {
        on: { add: { target: "busy", actions: assign({ count: ({ context }) => context.count + 1 }) } },
      },
      busy: {},
    },
  });

describe("sharingInitialSnapshot", () => {
  it("gives each actor its own context and lets each move alone", () => {
    const fresh = ({ name }: { name: string }) => ({ name, count: 0 });
    const logic = sharingInitialSnapshot(counterWith(fresh), fresh);
    const [a, b, c] = ["a", "b", "c"].map((name) => createActor(logic, { input: { name } }).start());
    b!.send({ type: "add" });
    expect([a, b, c].map((actor) => [actor!.getSnapshot().value, actor!.getSnapshot().context])).toEqual([
      ["idle", { name: "a", count: 0 }],
      ["busy", { name: "b", count: 1 }],
      ["idle", { name: "c", count: 0 }],
    ]);
    expect(c!.getSnapshot().matches("idle")).toBe(true);
  });
});
