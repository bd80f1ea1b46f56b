// The deadline schedule: one timer for many task deadlines, earliest first, whatever their lengths.
import { describe, expect, it } from "vitest";
import { DeadlineSchedule } from "./DeadlineSchedule.ts";

describe("DeadlineSchedule", () => {
  it("asks for a timer only when a task is due before the current one", () => {
    const schedule = new DeadlineSchedule();
    expect(schedule.add("a", 1_000, 0)).toBe(true);
    expect(schedule.add("b", 1_000, 10)).toBe(false);
    expect(schedule.add("c", 100, 20)).toBe(true);
  });

  it("hands back the due tasks across deadline lengths and the next due time", () => {
    const schedule = new DeadlineSchedule();
    schedule.add("long", 10_000, 0);
    schedule.add("short-1", 100, 0);
    schedule.add("short-2", 100, 50);
    schedule.add("gone", 100, 60);
    schedule.remove("gone", 100);
    expect(schedule.takeDue(100)).toEqual(["short-1"]);
    expect(schedule.claimNext()).toBe(150);
    expect(schedule.takeDue(10_000)).toEqual(["long", "short-2"]);
    expect(schedule.claimNext()).toBeUndefined();
    expect(schedule.add("again", 5, 20_000)).toBe(true);
  });
});
