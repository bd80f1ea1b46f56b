// The Ollama stand-in speaks the API the real `ollama` client expects: each endpoint driven by that
// client, so a test that passes here would talk to a real Ollama the same way.
import { Ollama } from "ollama";
import { afterEach, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "./ollamaStandIn.ts";

let standIn: OllamaStandIn | undefined;
const start = async (...args: Parameters<typeof startOllamaStandIn>) => {
  standIn = await startOllamaStandIn(...args);
  return { standIn, client: new Ollama({ host: standIn.url }) };
};
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe("Ollama stand-in", () => {
  it("lists, shows and reports loaded models; a missing model is a 404", async () => {
    const { client } = await start({ models: ["qwen3:8b", "nomic-embed-text"] });
    const { models } = await client.list();
    expect(models.map((model) => model.name)).toEqual(["qwen3:8b", "nomic-embed-text:latest"]);
    const shown = await client.show({ model: "qwen3:8b" });
    expect(shown.capabilities).toContain("tools");
    await expect(client.show({ model: "absent:1b" })).rejects.toMatchObject({ status_code: 404 });
    expect((await client.ps()).models).toEqual([]);
    await client.chat({ model: "qwen3:8b", messages: [{ role: "user", content: "hi" }] });
    expect((await client.ps()).models.map((model) => model.name)).toEqual(["qwen3:8b"]);
    expect((await client.version()).version).toBe("0.0.0-standin");
  });

  it("streams a chat as NDJSON, token by token, ending with the counts", async () => {
    const { client } = await start({ replies: [{ tokens: ["Hel", "lo", "!"] }] });
    const stream = await client.chat({
      model: "qwen3:8b",
      messages: [{ role: "user", content: "say hello please" }],
      stream: true,
    });
    const parts = [];
    for await (const part of stream) parts.push(part);
    expect(parts.filter((part) => !part.done).map((part) => part.message.content)).toEqual([
      "Hel",
      "lo",
      "!",
    ]);
    expect(parts.at(-1)).toMatchObject({ done: true, prompt_eval_count: 3, eval_count: 3 });
  });

  it("answers a chat in one piece with tool calls, and logs the format and tools it was sent", async () => {
    const { standIn, client } = await start({
      replies: [{ toolCalls: [{ name: "search", arguments: { query: "ollama" } }] }],
    });
    const format = { type: "object", properties: { answer: { type: "string" } } };
    const reply = await client.chat({
      model: "qwen3:8b",
      messages: [{ role: "user", content: "look it up" }],
      format,
      tools: [{ type: "function", function: { name: "search", description: "web search" } }],
    });
    expect(reply.message.tool_calls).toEqual([
      { function: { name: "search", arguments: { query: "ollama" } } },
    ]);
    const [logged] = standIn.requestsTo("/api/chat");
    expect(logged?.body).toMatchObject({ format, stream: false, tools: [{ function: { name: "search" } }] });
  });

  it("echoes the last user message when nothing is scripted, streamed or not, over generate too", async () => {
    const { client } = await start();
    const reply = await client.chat({ model: "llama3.2:3b", messages: [{ role: "user", content: "ping" }] });
    expect(reply.message.content).toBe("You said: ping");
    const generated = await client.generate({ model: "llama3.2:3b", prompt: "pong" });
    expect(generated.response).toBe("You said: pong");
    let streamed = "";
    for await (const part of await client.generate({ model: "llama3.2:3b", prompt: "a b", stream: true }))
      streamed += part.response;
    expect(streamed).toBe("You said: a b");
  });

  it("embeds deterministically", async () => {
    const { client } = await start({ models: ["nomic-embed-text"] });
    const first = await client.embed({ model: "nomic-embed-text", input: ["cat", "dog"] });
    const again = await client.embed({ model: "nomic-embed-text", input: "cat" });
    expect(first.embeddings).toHaveLength(2);
    expect(first.embeddings[0]).toHaveLength(8);
    expect(again.embeddings[0]).toEqual(first.embeddings[0]);
    expect(first.embeddings[1]).not.toEqual(first.embeddings[0]);
  });

  it("pulls with streamed progress, after which the model is listed; an unknown name fails in the stream", async () => {
    const { standIn, client } = await start({ models: [], pullable: (model) => model !== "nope:1b" });
    const statuses: string[] = [];
    for await (const part of await client.pull({ model: "llama3.2:3b", stream: true }))
      statuses.push(part.status);
    expect(statuses[0]).toBe("pulling manifest");
    expect(statuses.at(-1)).toBe("success");
    expect(
      statuses.filter((status) => status.startsWith("pulling ") && status !== "pulling manifest"),
    ).toHaveLength(5);
    expect(standIn.models.has("llama3.2:3b")).toBe(true);
    const failing = async () => {
      for await (const _ of await client.pull({ model: "nope:1b", stream: true })) {
        // progress until the error
      }
    };
    await expect(failing()).rejects.toThrow("pull model manifest: file does not exist");
  });

  it("answers 404 for a missing model, 503 on demand, and scripted errors", async () => {
    const { standIn, client } = await start({ replies: [{ status: 500, error: "model runner crashed" }] });
    const ask = (model = "qwen3:8b") => client.chat({ model, messages: [{ role: "user", content: "x" }] });
    await expect(ask("absent:1b")).rejects.toMatchObject({
      status_code: 404,
      error: expect.stringContaining("absent:1b"),
    });
    await expect(ask()).rejects.toMatchObject({ status_code: 500, error: "model runner crashed" });
    standIn.busy(1);
    await expect(ask()).rejects.toMatchObject({ status_code: 503 });
    await expect(ask()).resolves.toMatchObject({ done: true });
    expect(standIn.requestsTo("/api/chat")).toHaveLength(4);
  });

  it("holds a stream until released and logs a client that went away", async () => {
    let release = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { standIn, client } = await start({ replies: [{ tokens: ["a", "b"], hold, holdAfter: 1 }] });
    const stream = await client.chat({
      model: "qwen3:8b",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ message: { content: "a" } });
    stream.abort();
    const [logged] = standIn.requestsTo("/api/chat");
    expect(await logged!.closed).toBe("aborted");
    expect(logged!.aborted).toBe(true);
    release();
  });
});
