import { Schema } from "effect";
import { describe, expect, it } from "vitest";
import { ScriptedModel } from "../testing/ScriptedModel.ts";
import { defineTool } from "./defineTool.ts";
import { estimateTokens, fitToContext } from "./fitToContext.ts";
import type { ChatMessage } from "./Llm.ts";
import { taskLlm } from "./taskLlm.ts";

const words = (count: number, word = "word") => Array.from({ length: count }, () => word).join(" ");

describe("fitToContext", () => {
  it("leaves a prompt that fits as it is", () => {
    const messages: ChatMessage[] = [{ role: "user", content: "hello" }];
    expect(fitToContext(messages, { contextTokens: 4096 })).toMatchObject({ messages, truncated: false });
  });

  it("leaves out the oldest messages after the system prompt, with a note, keeping the last", () => {
    const messages: ChatMessage[] = [
      { role: "system", content: "you are terse" },
      ...Array.from({ length: 20 }, (_, index) => ({
        role: index % 2 === 0 ? ("user" as const) : ("assistant" as const),
        content: `${index}: ${words(100)}`,
      })),
    ];
    const fitted = fitToContext(messages, { contextTokens: 1024 });
    expect(fitted.truncated).toBe(true);
    expect(fitted.dropped).toBeGreaterThan(0);
    expect(fitted.messages[0]).toEqual({ role: "system", content: "you are terse" });
    expect(fitted.messages[1]?.content).toBe(
      `[Troupe: ${fitted.dropped} earlier messages were left out to fit the model's context of 1024 tokens.]`,
    );
    expect(fitted.messages.at(-1)).toEqual(messages.at(-1));
    expect(estimateTokens(fitted.messages)).toBeLessThanOrEqual(1024 - 256);
  });

  it("cuts a single over-long message in its middle, saying how much", () => {
    const long = `${words(2000, "start")} ${words(2000, "end")}`;
    const fitted = fitToContext([{ role: "user", content: long }], { contextTokens: 1024 });
    const [message] = fitted.messages;
    expect(fitted.cutChars).toBeGreaterThan(0);
    expect(message?.content.startsWith("start")).toBe(true);
    expect(message?.content.endsWith("end")).toBe(true);
    expect(message?.content).toContain(
      `[… ${fitted.cutChars} characters cut here to fit the model's context …]`,
    );
    expect(estimateTokens(fitted.messages)).toBeLessThanOrEqual(768);
  });
});

describe("prompts cut to fit in the tool loop and ctx.llm", () => {
  it("never sends the model a conversation grown past its context", async () => {
    const big = defineTool({
      name: "big",
      description: "answers a lot",
      parameters: Schema.Struct({}),
      run: () => words(1500),
    });
    const model = new ScriptedModel(
      [
        { toolCalls: [{ name: "big", arguments: {} }] },
        { toolCalls: [{ name: "big", arguments: {} }] },
        "done",
      ],
      { contextTokens: 2048 },
    );
    const run = await model.runTools([{ role: "user", content: "go" }], [big]);
    expect(run.reply.content).toBe("done");
    for (const call of model.calls) expect(estimateTokens(call.messages)).toBeLessThanOrEqual(2048 - 512);
    expect(model.messages().some((message) => message.content.includes("left out to fit"))).toBe(true);
  });

  it("tells the task when ctx.llm cut a prompt", async () => {
    const model = new ScriptedModel(["ok"], { contextTokens: 1024 });
    const progress: string[] = [];
    const llm = taskLlm(model, {
      signal: new AbortController().signal,
      heartbeat: () => {},
      progress: (message) => progress.push(message),
      now: () => 0,
    });
    await llm.chat([{ role: "user", content: words(3000) }]);
    expect(progress[0]).toMatch(
      /^prompt of about \d+ tokens cut to fit scripted's context of 1024 \(0 messages left out, \d+ characters cut\)$/,
    );
    expect(estimateTokens(model.messages())).toBeLessThanOrEqual(768);
  });
});
