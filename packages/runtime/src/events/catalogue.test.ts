// The event catalogue as a schema: events that cross a process are validated, and a malformed or
// unknown one is refused with a message naming what is wrong.
import { describe, expect, it } from "vitest";
import { decodeRuntimeEvent, runtimeEventTypes, taskStateOf } from "./catalogue.ts";

describe("runtime event catalogue", () => {
  it("decodes a well-formed event", () => {
    const raw = { type: "breaker.changed", at: 1, agent: "a", from: "closed", to: "open", failures: 3 };
    expect(decodeRuntimeEvent(JSON.parse(JSON.stringify(raw)))).toEqual({ ok: true, event: raw });
  });

  it("refuses a malformed event, naming the field", () => {
    const result = decodeRuntimeEvent({
      type: "breaker.changed",
      at: 1,
      agent: "a",
      from: "closed",
      to: "ajar",
      failures: 3,
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/\["to"\]/);
  });

  it("refuses an unknown event type", () => {
    const result = decodeRuntimeEvent({ type: "task.teleported", at: 1 });
    expect(result.ok).toBe(false);
  });

  it("lists every event type and maps task events to the states the reactions show", () => {
    expect(runtimeEventTypes).toContain("task.awaiting_human");
    expect(runtimeEventTypes).toHaveLength(new Set(runtimeEventTypes).size);
    expect(
      taskStateOf({ type: "task.retrying", at: 0, taskId: "t", agent: "a", attempt: 2, reason: "r" }),
    ).toBe("retrying");
    expect(taskStateOf({ type: "agent.state", at: 0, agent: "a", state: "idle" })).toBeUndefined();
  });
});
