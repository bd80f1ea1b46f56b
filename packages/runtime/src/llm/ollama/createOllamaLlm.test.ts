// The Ollama adapter, driven through the real `ollama` client against the stand-in server: streaming,
// tool calls and structured output, deadlines, cancelling one stream of two, the busy retry, and an
// error that says what to do for each way Ollama can fail.
import { createServer } from "node:net";
import { Schema } from "effect";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "../../../../../test/harness/ollamaStandIn.ts";
import { TroupeError } from "../../errors/TroupeError.ts";
import type { LogLevel } from "../../log/Logger.ts";
import { createLlmMetrics } from "../../metrics/RuntimeMetrics.ts";
import { defineTool } from "../defineTool.ts";
import { createOllamaLlm, type OllamaLlmOptions } from "./createOllamaLlm.ts";

let standIn: OllamaStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

const user = (content: string) => [{ role: "user" as const, content }];

const setUp = async (
  standInOptions: Parameters<typeof startOllamaStandIn>[0] = {},
  llmOptions: Partial<OllamaLlmOptions> = {},
) => {
  standIn = await startOllamaStandIn(standInOptions);
  const llm = createOllamaLlm({ host: standIn.url, model: "qwen3:8b", ...llmOptions });
  return { standIn, llm };
};

/** A port on 127.0.0.1 that nothing listens on. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

const gate = () => {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
};

describe("createOllamaLlm", () => {
  it("streams the answer to onToken and reports usage and model", async () => {
    const { llm, standIn } = await setUp({ replies: [{ tokens: ["The ", "sky ", "is ", "blue."] }] });
    const tokens: string[] = [];
    const reply = await llm.chat(user("why is the sky blue"), { onToken: (token) => tokens.push(token) });
    expect(tokens).toEqual(["The ", "sky ", "is ", "blue."]);
    expect(reply).toMatchObject({
      content: "The sky is blue.",
      toolCalls: [],
      model: "qwen3:8b",
      usage: { promptTokens: 5, evalTokens: 4, promptMs: 5, evalMs: 4 },
    });
    expect(standIn.requestsTo("/api/chat")[0]?.body).toMatchObject({ model: "qwen3:8b", stream: true });
  });

  it("reassembles lines cut anywhere by the network, multi-byte characters included", async () => {
    const { llm } = await setUp({ replies: [{ tokens: ["héllo ", "wörld ", "🎭"], fragmented: true }] });
    const tokens: string[] = [];
    const reply = await llm.chat(user("x"), { onToken: (token) => tokens.push(token) });
    expect(tokens).toEqual(["héllo ", "wörld ", "🎭"]);
    expect(reply.content).toBe("héllo wörld 🎭");
  });

  it("resolves its model from MODEL_<ROLE> and its host from OLLAMA_HOST", async () => {
    standIn = await startOllamaStandIn({ models: ["qwen2.5-coder:7b"] });
    const llm = createOllamaLlm({ role: "code", env: { OLLAMA_HOST: standIn.url } });
    expect(llm).toMatchObject({ model: "qwen2.5-coder:7b", role: "code", host: standIn.url });
    const other = createOllamaLlm({
      role: "code",
      env: { OLLAMA_HOST: standIn.url, MODEL_CODE: "llama3.2:3b" },
    });
    expect(other.model).toBe("llama3.2:3b");
    await expect(llm.chat(user("hi"))).resolves.toMatchObject({ content: "You said: hi" });
  });

  it("passes tools and returns the model's tool calls; sends conversations with tool results", async () => {
    const { llm, standIn } = await setUp({
      replies: [{ toolCalls: [{ name: "search", arguments: { query: "troupe" } }] }],
    });
    const reply = await llm.chat(
      [
        ...user("find it"),
        { role: "assistant", content: "", toolCalls: [{ name: "search", arguments: { query: "x" } }] },
        { role: "tool", toolName: "search", content: "nothing" },
      ],
      { tools: [{ name: "search", description: "search the web", parameters: { type: "object" } }] },
    );
    expect(reply.toolCalls).toEqual([{ name: "search", arguments: { query: "troupe" } }]);
    expect(standIn.requestsTo("/api/chat")[0]?.body).toMatchObject({
      tools: [{ type: "function", function: { name: "search", description: "search the web" } }],
      messages: [
        { role: "user" },
        { role: "assistant", tool_calls: [{ function: { name: "search", arguments: { query: "x" } } }] },
        { role: "tool", tool_name: "search", content: "nothing" },
      ],
    });
  });

  it("asks for structured output with the schema's JSON Schema, retrying once with the problem", async () => {
    const Verdict = Schema.Struct({
      agent: Schema.Literals(["research", "code"]),
      confidence: Schema.Finite,
    });
    const { llm, standIn } = await setUp({
      replies: [
        { content: '{"agent":"chef","confidence":1}' },
        { content: '{"agent":"code","confidence":0.9}' },
      ],
    });
    const reply = await llm.chatStructured(user("review this diff"), Verdict);
    expect(reply.value).toEqual({ agent: "code", confidence: 0.9 });
    const [first, second] = standIn.requestsTo("/api/chat");
    expect(first?.body?.format).toMatchObject({
      type: "object",
      properties: { agent: { enum: ["research", "code"] } },
      required: ["agent", "confidence"],
    });
    const retry = (second!.body!.messages as { role: string; content: string }[]).at(-1);
    expect(retry?.content).toContain('Expected "research" | "code" at ["agent"]');
  });

  it("runs the tool loop against the server", async () => {
    const { llm } = await setUp({
      replies: [{ toolCalls: [{ name: "add", arguments: { a: 2, b: 3 } }] }, { content: "2 + 3 = 5" }],
    });
    const add = defineTool({
      name: "add",
      description: "add two numbers",
      parameters: Schema.Struct({ a: Schema.Finite, b: Schema.Finite }),
      run: ({ a, b }) => a + b,
    });
    const run = await llm.runTools(user("what is 2 + 3?"), [add]);
    expect(run.reply.content).toBe("2 + 3 = 5");
    expect(run.calls).toEqual([expect.objectContaining({ name: "add", outcome: "ran", result: "5" })]);
  });

  it("cancelling one of two concurrent streams stops that one only", async () => {
    const held = gate();
    const { llm, standIn } = await setUp({
      replies: [
        { tokens: ["one ", "two"], hold: held.opened, holdAfter: 1 },
        { tokens: ["three ", "four"], hold: held.opened, holdAfter: 1 },
      ],
    });
    const cancel = new AbortController();
    const firstToken = { a: gate(), b: gate() };
    const a = llm.chat(user("a"), { signal: cancel.signal, onToken: () => firstToken.a.open() });
    const b = llm.chat(user("b"), { onToken: () => firstToken.b.open() });
    await Promise.all([firstToken.a.opened, firstToken.b.opened]);
    cancel.abort();
    await expect(a).rejects.toMatchObject({ _tag: "Cancelled" });
    const [requestA, requestB] = standIn.requestsTo("/api/chat");
    expect(await requestA!.closed).toBe("aborted");
    expect(requestB!.aborted).toBe(false);
    held.open();
    await expect(b).resolves.toMatchObject({ content: "three four" });
    expect(await requestB!.closed).toBe("finished");
  });

  it("cancels a call whose model is still loading (no answer yet), with the signal's reason", async () => {
    const held = gate();
    const { llm, standIn } = await setUp({ replies: [{ tokens: ["late"], hold: held.opened }] });
    const cancel = new AbortController();
    const call = llm.chat(user("x"), { signal: cancel.signal });
    const request = await standIn.waitForRequest((logged) => logged.path === "/api/chat");
    cancel.abort(new TroupeError("Hung", "agent research is hung"));
    await expect(call).rejects.toMatchObject({ _tag: "Hung" });
    expect(await request.closed).toBe("aborted");
    held.open();
  });

  it("fails with ModelTimeout at the call's deadline, and stops the request", async () => {
    const { llm, standIn } = await setUp({ replies: [{ tokens: ["never"], hold: new Promise(() => {}) }] });
    const error = await llm.chat(user("x"), { deadline: "50ms" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ _tag: "ModelTimeout" });
    expect((error as TroupeError).reason).toMatch(/did not answer within 50ms .*pick a smaller model/);
    expect(await standIn.requestsTo("/api/chat")[0]!.closed).toBe("aborted");
  });

  it("takes its deadline from MODEL_TIMEOUT_<ROLE> and names it when a call runs out of time", async () => {
    const { llm } = await setUp(
      { replies: [{ tokens: ["never"], hold: new Promise(() => {}) }] },
      { role: "research", env: { MODEL_TIMEOUT: "1h", MODEL_TIMEOUT_RESEARCH: "50ms" } },
    );
    const error = await llm.chat(user("x")).catch((caught: unknown) => caught);
    expect((error as TroupeError).reason).toMatch(
      /did not answer within 50ms .*: raise MODEL_TIMEOUT_RESEARCH, or pick a smaller model/,
    );
  });

  it("stops the request when onToken throws, and rethrows that error", async () => {
    const held = gate();
    const { llm, standIn } = await setUp({
      replies: [{ tokens: ["a", "b"], hold: held.opened, holdAfter: 1 }],
    });
    const boom = new Error("consumer failed");
    await expect(
      llm.chat(user("x"), {
        onToken: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(await standIn.requestsTo("/api/chat")[0]!.closed).toBe("aborted");
    held.open();
  });

  it("names the model and the pull command when the model is missing (404)", async () => {
    const { standIn } = await setUp({ models: [] });
    const llm = createOllamaLlm({ role: "research", env: { OLLAMA_HOST: standIn.url } });
    const error = await llm.chat(user("x")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TroupeError);
    expect(error).toMatchObject({ _tag: "ModelNotFound", data: { model: "qwen3:8b", status: 404 } });
    expect((error as TroupeError).reason).toContain("`ollama pull qwen3:8b`");
    expect((error as TroupeError).reason).toContain("MODEL_RESEARCH");
  });

  it("retries a busy server (503) with backoff, then gives up with ModelBusy", async () => {
    const logs: { level: LogLevel; msg: string }[] = [];
    const logger = { log: (level: LogLevel, msg: string) => logs.push({ level, msg }) };
    const { llm, standIn } = await setUp({}, { busyRetry: { attempts: 2, base: 1, max: 2 }, logger });
    standIn.busy(2);
    await expect(llm.chat(user("x"))).resolves.toMatchObject({ content: "You said: x" });
    expect(standIn.requestsTo("/api/chat")).toHaveLength(3);
    expect(logs.filter((log) => log.msg === "model server busy, asking again")).toHaveLength(2);

    standIn.busy(3);
    const error = await llm.chat(user("x")).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ _tag: "ModelBusy" });
    expect((error as TroupeError).reason).toMatch(/is busy .* after 2 retries: try again later/);
    expect(standIn.requestsTo("/api/chat")).toHaveLength(6);
  });

  it("names OLLAMA_HOST when nothing listens there", async () => {
    const port = await closedPort();
    const llm = createOllamaLlm({ role: "research", env: { OLLAMA_HOST: `127.0.0.1:${port}` } });
    const error = await llm.chat(user("x")).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ _tag: "ModelUnavailable" });
    expect((error as TroupeError).reason).toBe(
      `cannot reach Ollama at http://127.0.0.1:${port} (connection refused): start it with \`ollama serve\`, or set OLLAMA_HOST to where it listens`,
    );
  });

  it("fails with ModelBadResponse on a malformed or cut stream, never printing", async () => {
    const { llm } = await setUp({
      replies: [
        { content: "a b", malformed: true },
        { content: "a b", truncate: true },
      ],
    });
    const malformed = await llm.chat(user("x")).catch((caught: unknown) => caught);
    expect(malformed).toMatchObject({ _tag: "ModelBadResponse" });
    expect((malformed as TroupeError).reason).toContain(
      "malformed line in Ollama's stream: {this is not json",
    );
    await expect(llm.chat(user("x"))).rejects.toMatchObject({ _tag: "ModelBadResponse" });
  });

  it("reports what Ollama says when the model cannot run or the request is refused", async () => {
    const { llm } = await setUp({
      replies: [
        { status: 500, error: "model requires more system memory (9.1 GiB) than is available (4.0 GiB)" },
        { status: 400, error: "registry.ollama.ai/library/qwen3:8b does not support tools" },
      ],
    });
    const failed = await llm.chat(user("x")).catch((caught: unknown) => caught);
    expect(failed).toMatchObject({ _tag: "ModelUnavailable" });
    expect((failed as TroupeError).reason).toContain("model requires more system memory");
    const refused = await llm.chat(user("x")).catch((caught: unknown) => caught);
    expect(refused).toMatchObject({ _tag: "ModelRejected" });
    expect((refused as TroupeError).reason).toContain("pick a model with tool support");
  });

  it("counts requests, tokens and latency per role and model in the metrics registry", async () => {
    const registry = new Registry();
    standIn = await startOllamaStandIn({ replies: [{ tokens: ["a", "b", "c"] }] });
    const env = { OLLAMA_HOST: standIn.url };
    const research = createOllamaLlm({ role: "research", env, metrics: createLlmMetrics({ registry }) });
    const missing = createOllamaLlm({ role: "code", env, metrics: createLlmMetrics({ registry }) });
    await research.chat(user("one two"));
    await missing.chat(user("x")).catch(() => undefined);
    const text = await registry.metrics();
    expect(text).toContain('troupe_llm_requests_total{role="research",model="qwen3:8b",outcome="ok"} 1');
    expect(text).toContain(
      'troupe_llm_requests_total{role="code",model="qwen2.5-coder:7b",outcome="not_found"} 1',
    );
    expect(text).toContain('troupe_llm_tokens_total{role="research",model="qwen3:8b",kind="prompt"} 2');
    expect(text).toContain('troupe_llm_tokens_total{role="research",model="qwen3:8b",kind="eval"} 3');
    expect(text).toContain(
      'troupe_llm_model_seconds_total{role="research",model="qwen3:8b",kind="eval"} 0.003',
    );
    expect(text).toContain('troupe_llm_request_duration_seconds_count{role="research",model="qwen3:8b"} 1');
    expect(text).not.toContain('troupe_llm_request_duration_seconds_count{role="code"');
  });

  it("needs a role or a model", () => {
    expect(() => createOllamaLlm({})).toThrow(/needs a `role`/);
    expect(() => createOllamaLlm({ role: "research", env: { MODEL_RESEARCH: "has spaces" } })).toThrow(
      'MODEL_RESEARCH must be an Ollama model name such as "qwen3:8b", got "has spaces"',
    );
  });
});
