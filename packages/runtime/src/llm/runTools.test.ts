// The tool loop on the scripted model: tools run only when allowed and only with arguments their
// schema accepts; refusals and failures go back to the model; a model that keeps calling tools stops
// at the step limit with StepLimit.
import { Schema } from "effect";
import { describe, expect, it } from "vitest";
import { TroupeError } from "../errors/TroupeError.ts";
import { ScriptedModel } from "../testing/ScriptedModel.ts";
import { defineTool } from "./defineTool.ts";

const ran: unknown[] = [];
const search = defineTool({
  name: "search",
  description: "search the notes",
  parameters: Schema.Struct({ query: Schema.String, limit: Schema.optional(Schema.Int) }),
  run: (args) => {
    ran.push(args);
    return { hits: [`note about ${args.query}`] };
  },
});
const remove = defineTool({
  name: "delete_file",
  description: "delete a file",
  parameters: Schema.Struct({ path: Schema.String }),
  run: (args) => {
    ran.push(args);
    return "deleted";
  },
});
const ask = [{ role: "user" as const, content: "what do my notes say about Ollama?" }];

describe("runTools", () => {
  it("runs the model's tool calls and gives the results back until it answers", async () => {
    ran.length = 0;
    const model = new ScriptedModel([
      { toolCalls: [{ name: "search", arguments: { query: "ollama" } }] },
      "Your notes say: note about ollama",
    ]);
    const run = await model.runTools(ask, [search]);
    expect(run.reply.content).toBe("Your notes say: note about ollama");
    expect(run.steps).toBe(2);
    expect(ran).toEqual([{ query: "ollama" }]);
    expect(model.calls[0]?.options.tools).toEqual([
      {
        name: "search",
        description: "search the notes",
        parameters: expect.objectContaining({ type: "object", required: ["query"] }),
      },
    ]);
    expect(model.messages(1).slice(1)).toEqual([
      { role: "assistant", content: "", toolCalls: [{ name: "search", arguments: { query: "ollama" } }] },
      { role: "tool", toolName: "search", content: '{"hits":["note about ollama"]}' },
    ]);
    expect(run.messages.at(-1)).toEqual({ role: "assistant", content: "Your notes say: note about ollama" });
  });

  it("refuses a call whose arguments do not match the schema, telling the model why", async () => {
    ran.length = 0;
    const model = new ScriptedModel([
      { toolCalls: [{ name: "search", arguments: { query: 42, limit: 1.5 } }] },
      { toolCalls: [{ name: "search", arguments: { query: "ollama" } }] },
      "done",
    ]);
    const seen: string[] = [];
    const run = await model.runTools(ask, [search], { onToolCall: (call) => seen.push(call.outcome) });
    expect(seen).toEqual(["refused", "ran"]);
    expect(ran).toEqual([{ query: "ollama" }]);
    const [refused] = run.calls;
    expect(refused?.error).toBeInstanceOf(TroupeError);
    expect(refused?.error).toMatchObject({ _tag: "ToolCallRefused" });
    expect(refused?.result).toBe(
      'error: the arguments of "search" do not match its schema: Expected string at ["query"]; Expected an integer at ["limit"]. Call it again with arguments that follow the schema.',
    );
    expect(model.messages(1).at(-1)).toEqual({ role: "tool", toolName: "search", content: refused?.result });
  });

  it("runs only tools on the allow-list: others are not offered, and a call to one is refused", async () => {
    ran.length = 0;
    const model = new ScriptedModel([
      {
        toolCalls: [
          { name: "delete_file", arguments: { path: "/etc/passwd" } },
          { name: "rm", arguments: {} },
        ],
      },
      "I cannot do that",
    ]);
    const run = await model.runTools(ask, [search, remove], { allow: ["search"] });
    expect(ran).toEqual([]);
    expect(model.calls[0]?.options.tools?.map((tool) => tool.name)).toEqual(["search"]);
    expect(run.calls.map((call) => [call.outcome, call.result])).toEqual([
      ["refused", 'error: the tool "delete_file" is not allowed for this agent. Available tools: search.'],
      ["refused", 'error: there is no tool named "rm". Available tools: search.'],
    ]);
  });

  it("gives a tool's failure back to the model", async () => {
    const flaky = defineTool({
      name: "fetch_page",
      description: "fetch a page",
      parameters: Schema.Struct({ url: Schema.String }),
      run: () => {
        throw new Error("HTTP 404");
      },
    });
    const model = new ScriptedModel([
      { toolCalls: [{ name: "fetch_page", arguments: { url: "x" } }] },
      "no page",
    ]);
    const run = await model.runTools(ask, [flaky]);
    expect(run.calls[0]).toMatchObject({
      outcome: "failed",
      result: 'error: the tool "fetch_page" failed: HTTP 404',
    });
    expect(run.reply.content).toBe("no page");
  });

  it("stops a model that keeps calling tools at maxSteps with StepLimit", async () => {
    const model = new ScriptedModel([{ toolCalls: [{ name: "search", arguments: { query: "again" } }] }], {
      model: "loopy:1b",
    });
    const error = await model.runTools(ask, [search], { maxSteps: 3 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      _tag: "StepLimit",
      reason:
        'model "loopy:1b" still asked for tools after 3 steps (it called search ×3); raise maxSteps, narrow the task or check what the tools answer',
      data: { maxSteps: 3, calls: { search: 3 } },
    });
    expect(model.calls).toHaveLength(3);
  });

  it("stops when the signal aborts, with its reason, passing the signal to the tool", async () => {
    const controller = new AbortController();
    const slow = defineTool({
      name: "slow",
      description: "takes a while",
      parameters: Schema.Struct({}),
      run: (_args, signal) =>
        new Promise((_, reject) => {
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
          controller.abort(new TroupeError("Cancelled", "task cancelled by a person"));
        }),
    });
    const model = new ScriptedModel([{ toolCalls: [{ name: "slow", arguments: {} }] }, "never"]);
    await expect(model.runTools(ask, [slow], { signal: controller.signal })).rejects.toMatchObject({
      _tag: "Cancelled",
      reason: "task cancelled by a person",
    });
    expect(model.calls).toHaveLength(1);
  });

  it("refuses a bad tool definition where it is written", () => {
    expect(() =>
      defineTool({ name: "has space", description: "", parameters: Schema.Struct({}), run: () => "" }),
    ).toThrow(/tool name must be a letter/);
    expect(() =>
      defineTool({ name: "scalar", description: "", parameters: Schema.String, run: () => "" }),
    ).toThrow('tool "scalar": parameters must be a Schema.Struct');
  });
});
