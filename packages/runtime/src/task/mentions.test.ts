// The mention grammar: a leading "@name" addresses a request, and only that address is taken off.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AGENT_NAME, addressedTo, leadingMention, mentionsIn, withoutMentionOf } from "./mentions.ts";
import { createTask } from "./Task.ts";

describe("mentions", () => {
  it("reads a leading @name and what follows it", () => {
    expect(leadingMention("@research why?")).toEqual({ agent: "research", rest: "why?" });
    expect(leadingMention("  @code: fix it")).toEqual({ agent: "code", rest: "fix it" });
    expect(leadingMention("@code , fix it")).toEqual({ agent: "code", rest: "fix it" });
    expect(leadingMention("@echo")).toEqual({ agent: "echo", rest: "" });
    expect(leadingMention("say @echo")).toBeUndefined();
    expect(leadingMention("@Echo hi")).toBeUndefined();
    expect(leadingMention("@echo.hi")).toBeUndefined();
    expect(leadingMention("a@echo hi")).toBeUndefined();
  });

  it("takes off only the mention of the agent named", () => {
    expect(withoutMentionOf("@echo  hi  ", "echo")).toBe("hi  ");
    expect(withoutMentionOf("@echoes stay", "echo")).toBe("@echoes stay");
    expect(withoutMentionOf("@echo-bot stays", "echo")).toBe("@echo-bot stays");
    expect(withoutMentionOf("say @echo", "echo")).toBe("say @echo");
    expect(withoutMentionOf("@code hi", "echo")).toBe("@code hi");
  });

  it("takes exactly the address off, and leaves any text that does not start with it", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,31}$/);
    const rest = fc.string().filter((text) => !/^[\s:,]/.test(text));
    fc.assert(
      fc.property(name, rest, (agent, text) => {
        expect(withoutMentionOf(`@${agent} ${text}`, agent)).toBe(text);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        if (!text.trimStart().startsWith("@research")) expect(withoutMentionOf(text, "research")).toBe(text);
      }),
    );
  });

  it("gives the addressed agent the task without its address, a text input too", () => {
    const { task } = createTask({ text: "@research why?" }, { now: 0 });
    expect(addressedTo(task, "research")).toMatchObject({ text: "why?", input: "why?", id: task.id });
    expect(addressedTo(task, "code")).toBe(task);
    const structured = createTask({ text: "@research why?", input: { depth: 2 } }, { now: 0 }).task;
    expect(addressedTo(structured, "research")).toMatchObject({ text: "why?", input: { depth: 2 } });
  });

  it("finds the mentions anywhere in a text by the same grammar: lower-case names of at most 32, whole", () => {
    expect(mentionsIn("ask @research, then @code. not mail@example or @Research")).toEqual([
      "research",
      "code",
    ]);
    expect(mentionsIn(`@${"a".repeat(33)} and @${"b".repeat(32)}`)).toEqual(["b".repeat(32)]);
    expect(leadingMention(`@${"a".repeat(33)} hi`)).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), (text) => {
        const leading = leadingMention(text);
        if (leading) expect(mentionsIn(text)[0]).toBe(leading.agent);
        for (const name of mentionsIn(text)) expect(AGENT_NAME.test(name)).toBe(true);
      }),
    );
  });
});
