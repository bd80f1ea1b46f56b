// The scripted model: one step per call (the last repeating), token streams, errors, a call that
// never answers until its signal aborts, and a record of every call.
import { describe, expect, it } from "vitest";
import { TroupeError } from "../errors/TroupeError.ts";
import { ScriptedModel } from "./ScriptedModel.ts";

const hi = [{ role: "user" as const, content: "hi there" }];

describe("ScriptedModel", () => {
  it("answers each call with the next step and records the calls", async () => {
    const model = new ScriptedModel(["first", { text: "second", usage: { evalTokens: 7 } }], {
      model: "tiny:1b",
    });
    await expect(model.chat(hi)).resolves.toEqual({
      content: "first",
      toolCalls: [],
      model: "tiny:1b",
      usage: { promptTokens: 2, evalTokens: 1, promptMs: 0, evalMs: 0 },
    });
    await expect(model.chat(hi)).resolves.toMatchObject({ content: "second", usage: { evalTokens: 7 } });
    await expect(model.chat(hi)).resolves.toMatchObject({ content: "second" });
    expect(model.calls).toHaveLength(3);
    expect(model.messages(0)).toEqual(hi);
  });

  it("streams tokens to onToken", async () => {
    const model = new ScriptedModel([{ tokens: ["a", "b", "c"] }]);
    const seen: string[] = [];
    const reply = await model.chat(hi, { onToken: (token) => seen.push(token) });
    expect(seen).toEqual(["a", "b", "c"]);
    expect(reply).toMatchObject({ content: "abc", usage: { evalTokens: 3 } });
  });

  it("returns tool calls, computed replies and errors", async () => {
    const model = new ScriptedModel([
      { toolCalls: [{ name: "search", arguments: { query: "x" } }] },
      { reply: (call) => `you sent ${call.messages.length} message(s)` },
      { error: "ModelNotFound" },
      { error: new TroupeError("ModelBusy", "busy") },
    ]);
    await expect(model.chat(hi)).resolves.toMatchObject({ toolCalls: [{ name: "search" }] });
    await expect(model.chat(hi)).resolves.toMatchObject({ content: "you sent 1 message(s)" });
    await expect(model.chat(hi)).rejects.toMatchObject({ _tag: "ModelNotFound" });
    await expect(model.chat(hi)).rejects.toMatchObject({ _tag: "ModelBusy", reason: "busy" });
  });

  it("hangs until the call's signal aborts, or times out at its deadline", async () => {
    const model = new ScriptedModel([{ hang: true }]);
    const controller = new AbortController();
    const call = model.chat(hi, { signal: controller.signal });
    controller.abort(new TroupeError("Hung", "agent is hung"));
    await expect(call).rejects.toMatchObject({ _tag: "Hung" });
    await expect(model.chat(hi, { deadline: 1 })).rejects.toMatchObject({ _tag: "ModelTimeout" });
    controller.abort();
    await expect(model.chat(hi, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      _tag: "Cancelled",
    });
  });

  it("needs a script", () => {
    expect(() => new ScriptedModel([])).toThrow("a ScriptedModel needs at least one step");
  });
});
