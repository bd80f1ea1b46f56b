// Structured output on the scripted model: the schema goes out as JSON Schema, a wrong answer is sent
// back once with what was wrong, and a second wrong answer fails with ModelBadResponse.
import { Schema } from "effect";
import { describe, expect, it } from "vitest";
import { ScriptedModel } from "../testing/ScriptedModel.ts";

const Route = Schema.Struct({
  agent: Schema.Literals(["research", "code"]),
  reason: Schema.String,
  confidence: Schema.optional(Schema.Finite),
});

const ask = [{ role: "user" as const, content: "review my diff" }];

describe("chatStructured", () => {
  it("sends the schema as `format` and decodes the answer", async () => {
    const model = new ScriptedModel([{ json: { agent: "code", reason: "a diff", confidence: null } }]);
    const reply = await model.chatStructured(ask, Route);
    expect(reply.value).toEqual({ agent: "code", reason: "a diff", confidence: undefined });
    expect(model.calls[0]?.options.format).toMatchObject({
      type: "object",
      required: ["agent", "reason"],
      properties: { agent: { type: "string", enum: ["research", "code"] } },
    });
  });

  it("accepts JSON in a Markdown fence", async () => {
    const model = new ScriptedModel(['```json\n{"agent":"research","reason":"facts"}\n```']);
    await expect(model.chatStructured(ask, Route)).resolves.toMatchObject({ value: { agent: "research" } });
  });

  it("sends a wrong answer back once with the problem, and takes the corrected one", async () => {
    const model = new ScriptedModel([
      { json: { agent: "chef" } },
      { json: { agent: "code", reason: "diff" } },
    ]);
    const reply = await model.chatStructured(ask, Route);
    expect(reply.value).toEqual({ agent: "code", reason: "diff" });
    expect(reply.usage.evalTokens).toBe(2);
    const retry = model.messages(1);
    expect(retry.slice(0, 2)).toEqual([...ask, { role: "assistant", content: '{"agent":"chef"}' }]);
    expect(retry[2]?.content).toBe(
      'That answer does not match the required JSON schema: Expected "research" | "code" at ["agent"]; Missing key at ["reason"]. Answer again with only the JSON, following the schema exactly.',
    );
  });

  it("fails with ModelBadResponse naming the problem after a second wrong answer", async () => {
    const model = new ScriptedModel(["sure! here you go", { json: { agent: "research" } }], {
      model: "tiny:1b",
    });
    const error = await model.chatStructured(ask, Route).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      _tag: "ModelBadResponse",
      reason:
        'model "tiny:1b" answered 2 times with JSON that does not match the schema (Missing key at ["reason"]); try a stronger model for this role or a simpler schema',
    });
    expect(model.messages(1).at(-1)?.content).toContain('the answer is not JSON: "sure! here you go"');
  });
});
