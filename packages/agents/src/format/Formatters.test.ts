// The shared helpers of the formatters: shortening for notifications, and the readable text of any
// agent's output for the orchestrator's joined answers.
import { describe, expect, it } from "vitest";
import { defineFormatters, shorten, textOf } from "./Formatters.ts";

describe("Formatters helpers", () => {
  it("shortens at a word, flattening whitespace", () => {
    expect(shorten("a  short\ntext", 20)).toBe("a short text");
    expect(shorten("the quick brown fox jumps over the lazy dog", 20)).toBe("the quick brown fox…");
    expect(shorten("x".repeat(30), 10)).toBe(`${"x".repeat(9)}…`);
  });

  it("reads text, summary or answer, else JSON", () => {
    expect(textOf("plain")).toBe("plain");
    expect(textOf({ text: "t", summary: "s" })).toBe("t");
    expect(textOf({ summary: "s" })).toBe("s");
    expect(textOf({ answer: "a" })).toBe("a");
    expect(textOf({ n: 1 })).toBe('{"n":1}');
    expect(textOf(undefined)).toBe("undefined");
  });

  it("declares a formatter set typed by its value", () => {
    const formatters = defineFormatters<{ n: number }>({
      markdown: ({ n }) => `**${n}**`,
      text: ({ n }) => String(n),
      notification: ({ n }) => `n=${n}`,
    });
    expect([
      formatters.markdown({ n: 1 }),
      formatters.text({ n: 1 }),
      formatters.notification({ n: 1 }),
    ]).toEqual(["**1**", "1", "n=1"]);
    expect(Object.isFrozen(formatters)).toBe(true);
  });
});
