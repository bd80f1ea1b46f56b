// Thread names: the request's first line, folded, without mention markup, at most 100 characters.
import { describe, expect, it } from "vitest";
import { threadNameFor } from "./threadName.ts";

describe("threadNameFor", () => {
  it("uses the first non-empty line without mentions", () => {
    expect(threadNameFor("\n  <@123>  summarize   the incident \nmore", "task t-1")).toBe(
      "summarize the incident",
    );
  });

  it("cuts at 100 characters without splitting an emoji", () => {
    const name = threadNameFor("😀".repeat(80), "task t-1");
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name.endsWith("…")).toBe(true);
    expect(/[\ud800-\udbff]…$/.test(name)).toBe(false);
  });

  it("falls back when nothing is left", () => {
    expect(threadNameFor("<@1> <#2>", "task t-9")).toBe("task t-9");
  });
});
