// The event bus: typed delivery in order, isolation of a failing subscriber, waiting and streaming.

import { describe, expect, it } from "vitest";
import { SimulatedClock } from "xstate";
import type { RuntimeEvent } from "./catalogue.ts";
import { EventBus } from "./EventBus.ts";

const progress = (message: string) =>
  ({ type: "task.progress", taskId: "t-1", agent: "echo", message }) as const;

describe("EventBus", () => {
  it("stamps events with the clock and delivers them in order, typed by `on`", () => {
    const clock = new SimulatedClock();
    clock.set(1_000);
    const bus = new EventBus({ clock });
    const messages: string[] = [];
    bus.on("task.progress", (event) => messages.push(`${event.at}:${event.message}`));
    bus.publish(progress("one"));
    bus.publish({ type: "agent.state", agent: "echo", state: "idle" });
    bus.publish(progress("two"));
    expect(messages).toEqual(["1000:one", "1000:two"]);
  });

  it("isolates a subscriber that throws: the others still get the event and the error is reported", () => {
    const errors: unknown[] = [];
    const bus = new EventBus({ onListenerError: (error) => errors.push(error) });
    const received: string[] = [];
    bus.subscribe(() => {
      throw new Error("bad subscriber");
    });
    bus.subscribe((event) => received.push(event.type));
    expect(() => bus.publish(progress("x"))).not.toThrow();
    expect(received).toEqual(["task.progress"]);
    expect(errors).toEqual([new Error("bad subscriber")]);
  });

  it("waits for a matching event, and gives up when its signal aborts", async () => {
    const bus = new EventBus();
    const waiting = bus.waitFor((event) => event.type === "task.progress" && event.message === "two");
    bus.publish(progress("one"));
    bus.publish(progress("two"));
    await expect(waiting).resolves.toMatchObject({ message: "two" });
    const controller = new AbortController();
    const never = bus.waitFor((event) => event.type === "alert.raised", controller.signal);
    controller.abort(new Error("gave up"));
    await expect(never).rejects.toThrow("gave up");
  });

  it("streams events until the `until` event, then ends", async () => {
    const bus = new EventBus();
    const seen: RuntimeEvent["type"][] = [];
    const reading = (async () => {
      for await (const event of bus.stream({ until: (event) => event.type === "task.succeeded" }))
        seen.push(event.type);
    })();
    bus.publish(progress("a"));
    bus.publish({ type: "task.succeeded", taskId: "t-1", agent: "echo", durationMs: 3 });
    bus.publish(progress("after"));
    await reading;
    expect(seen).toEqual(["task.progress", "task.succeeded"]);
  });
});
