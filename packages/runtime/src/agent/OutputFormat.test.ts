// How an agent's result reads: its own formatters by form, typed by its output, with fallbacks to the
// next best form, and a readable default (never raw JSON) for an agent without them or a formatter
// that throws on an odd value.
import { describe, expect, it } from "vitest";
import { createSupervisor } from "../supervisor/Team.ts";
import { defineAgent } from "./defineAgent.ts";
import { formatOutputOf, readableOutput } from "./OutputFormat.ts";

const summarizer = defineAgent({
  name: "summarizer",
  handle: (task) => ({ summary: task.text, words: task.text.split(" ").length }),
  format: {
    markdown: ({ summary, words }) => `**${summary}** (${words} words)`,
    text: ({ summary, words }) => `${summary} (${words} words)`,
  },
});

describe("an agent's output format", () => {
  it("formats by the agent's own form, typed by its output, falling back to the next best form", () => {
    const output = { summary: "all quiet", words: 2 };
    expect(formatOutputOf(summarizer.format, "markdown", output)).toBe("**all quiet** (2 words)");
    expect(formatOutputOf(summarizer.format, "text", output)).toBe("all quiet (2 words)");
    // No notification form: the first line of its text.
    expect(formatOutputOf(summarizer.format, "notification", output)).toBe("all quiet (2 words)");
    defineAgent({
      name: "typed",
      handle: () => ({ n: 1 }),
      // @ts-expect-error the formatter reads a field the output does not have
      format: { text: (value) => value.missing.toFixed() },
    });
  });

  it("reads any output without formatters: prose fields, labelled lines and bullets, never JSON", () => {
    expect(readableOutput("plain")).toBe("plain");
    expect(readableOutput({ answer: "42", extra: true })).toBe("42");
    expect(readableOutput(undefined)).toBe("");
    const report = { host: "box", load: 0.5, disks: [{ mount: "/", free: "10 GB" }], tags: ["a", "b"] };
    expect(readableOutput(report)).toBe(
      ["host: box", "load: 0.5", "disks:", "  - mount: /", "    free: 10 GB", "tags:", "  - a", "  - b"].join(
        "\n",
      ),
    );
    expect(readableOutput(report, "markdown")).toContain("**host**: box");
    expect(readableOutput(report, "notification")).toBe("host: box");
    expect(readableOutput(report)).not.toMatch(/[{}"]/);
  });

  it("falls back to the default when a formatter throws on a value it does not expect", () => {
    const lister = defineAgent({
      name: "lister",
      handle: () => ({ items: ["a"] }),
      format: { text: ({ items }) => items.map((item) => `- ${item}`).join("\n") },
    });
    expect(formatOutputOf(lister.format, "text", { items: ["a", "b"] })).toBe("- a\n- b");
    expect(formatOutputOf(lister.format, "text", { text: "an older shape" })).toBe("an older shape");
  });

  it("is what the team formats by agent name; an unknown agent gets the default", () => {
    const team = createSupervisor({ agents: [summarizer] });
    expect(team.formatterFor("markdown")("summarizer", { summary: "ok", words: 1 })).toBe("**ok** (1 words)");
    expect(team.formatterFor("text")("elsewhere", { status: "fine" })).toBe("status: fine");
    team.stop();
  });
});
