// The orchestrator: rules first, the model second (schema-checked), a fallback; a multi-part request
// fanned out in parallel through ctx.delegate and joined into one summary; one run against the
// Ollama stand-in through the real ollama client.
import { createSupervisor, route } from "@troupe/runtime";
import { createOllamaLlm } from "@troupe/runtime/ollama";
import { createTestTeam, ScriptedModel, scriptedAgent } from "@troupe/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "../../../../test/harness/ollamaStandIn.ts";
import { classifyRequest } from "./classifyRequest.ts";
import { createOrchestrator, type OrchestratorResult, orchestratorFormatters } from "./orchestrator.ts";
import { splitRequest } from "./splitRequest.ts";

const roster = [
  { name: "research", description: "Finds things out, with sources", capabilities: ["research"] },
  { name: "code", description: "Answers code questions", capabilities: ["code"] },
  { name: "echo", description: "Repeats", capabilities: [] },
];

const task = (text: string) =>
  ({ id: "t-1", text, input: text, needs: [], attempt: 1, createdAt: 0 }) as never;

describe("splitRequest", () => {
  it("splits lists and semicolons, and leaves one request alone", () => {
    expect(splitRequest("Please:\n- find the RFC\n2. review my diff\n")).toEqual([
      "find the RFC",
      "review my diff",
    ]);
    expect(splitRequest("look up DNS; review foo.ts ;")).toEqual(["look up DNS", "review foo.ts"]);
    expect(splitRequest("  what is DNS?  ")).toEqual(["what is DNS?"]);
    expect(splitRequest("   ")).toEqual([]);
    expect(splitRequest(Array.from({ length: 10 }, (_, i) => `p${i}`).join(";"))).toHaveLength(8);
  });
});

describe("classifyRequest", () => {
  it("uses a rule before the model", async () => {
    const llm = new ScriptedModel([{ json: { agents: ["research"], reason: "x" } }]);
    const choice = await classifyRequest("please review this diff", roster, { llm });
    expect(choice).toMatchObject({ agents: ["code"], by: "rule" });
    expect(llm.calls).toHaveLength(0);
  });

  it("asks the model, with only the team's names allowed, when no rule matches", async () => {
    const llm = new ScriptedModel([{ json: { agents: ["research"], reason: "needs reading" } }]);
    const choice = await classifyRequest("tell me about the 1998 outage", roster, { llm });
    expect(choice).toEqual({ agents: ["research"], by: "model", reason: "needs reading" });
    const format = JSON.stringify(llm.calls[0]?.options.format);
    for (const name of ["research", "code", "echo"]) expect(format).toContain(`"${name}"`);
  });

  it("lets the model give a request to several agents", async () => {
    const llm = new ScriptedModel([{ json: { agents: ["research", "code", "research"], reason: "both" } }]);
    const choice = await classifyRequest("tell me about the 1998 outage and how to avoid another", roster, {
      llm,
    });
    expect(choice).toMatchObject({ agents: ["research", "code"], by: "model" });
  });

  it("falls back when the model names no agent, answers nonsense twice, or is down", async () => {
    const none = new ScriptedModel([{ json: { agents: [], reason: "small talk" } }]);
    const nothing = await classifyRequest("hi", roster, { llm: none, fallback: "echo" });
    expect(nothing).toMatchObject({ agents: ["echo"], by: "fallback" });
    expect(nothing.modelFailure).toBeUndefined();
    const confused = new ScriptedModel([{ json: { agents: ["deployer"], reason: "?" } }]);
    const wrong = await classifyRequest("hi", roster, { llm: confused, fallback: "echo" });
    expect(wrong).toMatchObject({
      agents: ["echo"],
      by: "fallback",
      modelFailure: expect.stringMatching(/schema/),
    });
    expect(confused.calls).toHaveLength(2); // the schema error was sent back once
    const down = new ScriptedModel([{ error: "ModelUnavailable" }]);
    expect(await classifyRequest("hi", roster, { llm: down })).toMatchObject({
      agents: [],
      by: "fallback",
      modelFailure: expect.any(String),
    });
  });
});

describe("orchestrator.classify", () => {
  it("routes a team's unmatched task by rule, model, or to itself for a multi-part request", async () => {
    const llm = new ScriptedModel([
      { json: { agents: ["research"], reason: "history" } },
      { json: { agents: ["research", "code"], reason: "both" } },
    ]);
    const { classify } = createOrchestrator({ llm });
    const signal = new AbortController().signal;
    const withSelf = [...roster, { name: "orchestrator", description: "", capabilities: [] }];
    expect(await classify(task("review foo.ts"), withSelf, signal)).toBe("code");
    expect(await classify(task("tell me about 1998"), withSelf, signal)).toBe("research");
    expect(await classify(task("- look up DNS\n- review foo.ts"), withSelf, signal)).toBe("orchestrator");
    // Several agents for one request: the orchestrator fans it out.
    expect(await classify(task("tell me about 1998 and how to avoid it"), withSelf, signal)).toBe(
      "orchestrator",
    );
  });

  it("is the supervisor's classifier", async () => {
    const research = scriptedAgent("research", [{ reply: { text: "found it" } }]);
    const echo = scriptedAgent("echo", [{ reply: { text: "echo" } }]);
    const llm = new ScriptedModel([{ json: { agents: ["research"], reason: "a question" } }]);
    const { classify } = createOrchestrator({ llm, fallback: "echo" });
    const { team, next } = createTestTeam({
      agents: [research, echo],
      routes: [route.mention()],
      classify,
      fallback: "echo",
    });
    const run = team.submit("tell me about the 1998 outage");
    await expect(run.result).resolves.toEqual({ text: "found it" });
    expect((await next("task.routed", (event) => event.taskId === run.id)).rule).toBe("classifier");
    team.stop();
  });
});

/** A gate a branch agent waits at, so a test can see every branch start before any ends. */
const gate = () => {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
};

describe("orchestrator agent", () => {
  it("fans a multi-part request out in parallel and joins the answers", async () => {
    const release = gate();
    const research = scriptedAgent("research", [
      {
        run: async () => {
          await release.opened;
          return { summary: "DNS is the phone book" };
        },
      },
    ]);
    const code = scriptedAgent("code", [
      {
        run: async () => {
          await release.opened;
          return { text: "LGTM" };
        },
      },
    ]);
    const orchestrator = createOrchestrator({ agents: [research, code] });
    const { team, next } = createTestTeam({ agents: [orchestrator.agent, research, code] });
    const run = team.ask(orchestrator.agent, "Two things:\n- explain DNS\n- review foo.ts");
    // Both branches are working before either answers: they run in parallel.
    await next("task.started", (event) => event.agent === "research");
    await next("task.started", (event) => event.agent === "code");
    release.open();
    const result = await run.result;
    expect(result.parts).toEqual([
      {
        request: "explain DNS",
        agent: "research",
        routedBy: "rule",
        status: "succeeded",
        answer: "DNS is the phone book",
      },
      { request: "review foo.ts", agent: "code", routedBy: "rule", status: "succeeded", answer: "LGTM" },
    ]);
    expect(result.summary).toBe("2 of 2 parts answered: research — DNS is the phone book; code — LGTM.");
    expect(orchestratorFormatters.markdown(result)).toContain("- **code** — review foo.ts: LGTM");
    expect(orchestratorFormatters.notification(result)).toBe(
      "2 parts: 2 of 2 parts answered: research — DNS is the phone book; code — LGTM.",
    );
    team.stop();
  });

  it("reports a failed part without failing the whole, and uses ctx.llm for what no rule decides", async () => {
    const research = scriptedAgent("research", [{ fail: "no sources" }]);
    const echo = scriptedAgent("echo", [{ reply: { text: "hello back" } }]);
    const model = new ScriptedModel([{ json: { agents: ["echo"], reason: "greeting" } }]);
    const orchestrator = createOrchestrator({ agents: [research, echo] });
    const { team } = createTestTeam({ agents: [orchestrator.agent, research, echo], llm: () => model });
    const result = await team.ask(orchestrator.agent, "research the outage; say hello").result;
    expect(result.parts.map((part) => [part.agent, part.routedBy, part.status])).toEqual([
      ["research", "rule", "failed"],
      ["echo", "model", "succeeded"],
    ]);
    expect(result.parts[0]?.error).toMatch(/no sources/);
    expect(orchestratorFormatters.text(result)).toContain("[research] research the outage: failed:");
    expect(orchestratorFormatters.notification(result)).toBe(
      "2 parts, 1 failed: 1 of 2 parts answered: research — failed; echo — hello back.",
    );
    team.stop();
  });

  it("classifies with rules and the fallback alone when the team has no models", async () => {
    const echo = scriptedAgent("echo", [{ run: (task) => ({ text: `echo ${task.text}` }) }]);
    const code = scriptedAgent("code", [{ reply: { text: "LGTM" } }]);
    const orchestrator = createOrchestrator({ agents: [echo, code], fallback: "echo" });
    const { team } = createTestTeam({ agents: [orchestrator.agent, echo, code] });
    const result = await team.ask(orchestrator.agent, "say hi; review foo.ts").result;
    expect(result.parts.map((part) => [part.agent, part.routedBy, part.answer])).toEqual([
      ["echo", "fallback", "echo say hi"],
      ["code", "rule", "LGTM"],
    ]);
    team.stop();
  });

  it("falls back when its model cannot even be made", async () => {
    const { classify } = createOrchestrator({
      llm: () => {
        throw new Error("bad OLLAMA_HOST");
      },
      fallback: "echo",
    });
    expect(await classify(task("hello"), roster, new AbortController().signal)).toBe("echo");
    expect(await classify(task("review foo.ts"), roster, new AbortController().signal)).toBe("code");
  });

  it("passes a follow-up's conversation and notes on with each part", async () => {
    const echo = scriptedAgent("echo", [
      {
        run: (task) => ({
          text: `${task.conversation.map((turn) => turn.content).join("/")} | ${task.notes}`,
        }),
      },
    ]);
    const orchestrator = createOrchestrator({ agents: [echo], fallback: "echo" });
    const { team } = createTestTeam({ agents: [orchestrator.agent, echo] });
    const result = await team.ask(orchestrator.agent, {
      text: "and now?",
      conversation: [
        { role: "user", name: "ana", content: "plan it" },
        { role: "assistant", name: "echo", content: "planned" },
      ],
      notes: ["keep it short"],
    }).result;
    expect(result.parts.map((part) => part.answer)).toEqual(["plan it/planned | keep it short"]);
    team.stop();
  });

  it("lets the team route parts when it has no roster, and takes parts as structured input", async () => {
    const echo = scriptedAgent("echo", [{ run: (task) => ({ text: `echo ${task.text}` }) }]);
    const orchestrator = createOrchestrator();
    const { team } = createTestTeam({ agents: [orchestrator.agent, echo], fallback: "echo" });
    const result = await team.ask(orchestrator.agent, {
      input: { parts: ["a", { text: "b", agent: "echo" }] },
    }).result;
    expect(result.parts.map((part) => [part.agent, part.routedBy, part.answer])).toEqual([
      [null, "team", "echo a"],
      ["echo", "rule", "echo b"],
    ]);
    team.stop();
  });
});

describe("orchestrator routing", () => {
  const answering = (name: string) =>
    scriptedAgent(name, [{ run: (task) => ({ text: `${name}: ${task.text}` }) }]);
  const logged = () => {
    const records: { level: string; msg: string }[] = [];
    return { records, logger: { log: (level: string, msg: string) => records.push({ level, msg }) } };
  };

  it("fans a part out to every agent its model picks, never to itself, and says who took one part", async () => {
    const research = answering("research");
    const code = answering("code");
    const model = new ScriptedModel([
      { json: { agents: ["research", "code"], reason: "both" } },
      { json: { agents: ["research"], reason: "history" } },
    ]);
    let orchestrator: ReturnType<typeof createOrchestrator> | undefined;
    // Its roster may list itself (the host passes the whole team): it is left out.
    orchestrator = createOrchestrator({ agents: () => [orchestrator!.agent, research, code] });
    const { team } = createTestTeam({ agents: [orchestrator.agent, research, code], llm: () => model });
    const both = await team.ask(orchestrator.agent, "tell me about the outage and how to avoid it").result;
    expect(both.parts.map((part) => [part.agent, part.routedBy, part.answer])).toEqual([
      ["research", "model", "research: tell me about the outage and how to avoid it"],
      ["code", "model", "code: tell me about the outage and how to avoid it"],
    ]);
    expect(JSON.stringify(model.calls[0]?.options.format)).not.toContain('"orchestrator"');
    const one = await team.ask(orchestrator.agent, "tell me about 1998").result;
    expect(orchestratorFormatters.text(one)).toBe(
      "research: tell me about 1998\n(research took it, picked by the model)",
    );
    team.stop();
  });

  it("drops its own @address from a part and honours another agent's", async () => {
    const research = answering("research");
    const code = answering("code");
    const orchestrator = createOrchestrator({ agents: [research, code], fallback: "code" });
    const { team, events } = createTestTeam({
      agents: [orchestrator.agent, research, code],
      routes: [route.mention()],
    });
    const run = team.submit("@orchestrator @orchestrator tidy my loop; @research: tea");
    const result = (await run.result) as OrchestratorResult;
    expect(result.parts.map((part) => [part.agent, part.routedBy, part.answer])).toEqual([
      ["code", "fallback", "code: tidy my loop"],
      ["research", "rule", "research: tea"],
    ]);
    expect(events.some((event) => event.type === "deadlock.detected")).toBe(false);
    team.stop();
  });

  it("routes by the rules while its model is down, says so in each answer and once in the log", async () => {
    const echo = answering("echo");
    const research = answering("research");
    const model = new ScriptedModel([
      { error: "ModelUnavailable" },
      { error: "ModelUnavailable" },
      { json: { agents: ["research"], reason: "back" } },
    ]);
    const { records, logger } = logged();
    const orchestrator = createOrchestrator({ agents: [echo, research], fallback: "echo", logger });
    const { team } = createTestTeam({ agents: [orchestrator.agent, echo, research], llm: () => model });
    for (const text of ["hello", "hello again"]) {
      const result = await team.ask(orchestrator.agent, text).result;
      expect(result.modelUnavailable).toMatch(/./);
      expect(orchestratorFormatters.text(result)).toMatch(
        /^echo: hello.*\n\(echo took it by the rules: the orchestrator's model is unavailable \(.+\)\)$/,
      );
    }
    const back = await team.ask(orchestrator.agent, "tell me about tea").result;
    expect(back.modelUnavailable).toBeUndefined();
    expect(records).toEqual([
      {
        level: "warn",
        msg: "the orchestrator's model is unavailable: the rules route until it answers again",
      },
      { level: "info", msg: "the orchestrator's model answers again" },
    ]);
    team.stop();
  });
});

describe("orchestrator on the Ollama stand-in", () => {
  let standIn: OllamaStandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  it("classifies through the real ollama client", async () => {
    standIn = await startOllamaStandIn({
      replies: [{ content: JSON.stringify({ agents: ["research"], reason: "history question" }) }],
    });
    const research = scriptedAgent("research", [{ reply: { text: "1998 was DNS" } }]);
    const echo = scriptedAgent("echo", [{ reply: { text: "echo" } }]);
    const { classify } = createOrchestrator({
      llm: () => createOllamaLlm({ host: standIn!.url, model: "qwen3:8b", role: "orchestrator" }),
    });
    const team = createSupervisor({ agents: [research, echo], classify, fallback: "echo" });
    await expect(team.submit("tell me about the 1998 outage").result).resolves.toEqual({
      text: "1998 was DNS",
    });
    expect(standIn.requestsTo("/api/chat")[0]?.body).toMatchObject({ model: "qwen3:8b" });
    team.stop();
  });
});
