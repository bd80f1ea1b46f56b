// The orchestrator as the host's router, through the real `troupe start` against the Ollama stand-in:
// a line no rule takes reaches the orchestrator, whose model (MODEL_ORCHESTRATOR) picks the agent
// that answers; `@orchestrator a; b` fans out to two agents and joins them without a deadlock; with
// its model unreachable the rules route and it says so once. MODEL_TIMEOUT_<ROLE> bounds a hung
// model call, and a `@research` mention never reaches the model.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type OllamaStandIn,
  type StandInReply,
  type StandInRequest,
  startOllamaStandIn,
} from "../../../../test/harness/ollamaStandIn.ts";
import { spawnTroupe, type TroupeProcess } from "../testing/spawnTroupe.ts";

const ROUTER = "router:tiny";
const RESEARCHER = "researcher:tiny";
const CODER = "coder:tiny";

const modelEnv = (url: string) => ({
  TROUPE_AGENTS: "orchestrator,research,code",
  OLLAMA_HOST: url,
  MODEL_ORCHESTRATOR: ROUTER,
  MODEL_RESEARCH: RESEARCHER,
  MODEL_CODE: CODER,
  MODEL_DEFAULT: undefined,
});

const userTexts = (request: StandInRequest): string[] =>
  ((request.body?.messages ?? []) as { role: string; content: string }[])
    .filter((message) => message.role === "user")
    .map((message) => message.content);
const lastUserText = (request: StandInRequest): string => userTexts(request).at(-1) ?? "";

/** The router sends tea questions to research and loops to code; research and code answer by schema. */
const answer = (request: StandInRequest): StandInReply => {
  const text = lastUserText(request);
  const schema = JSON.stringify(request.body?.format ?? "");
  if (request.body?.model === ROUTER) {
    const agents = /tea/.test(text) ? ["research"] : /loop/.test(text) ? ["code"] : [];
    return { content: JSON.stringify({ agents, reason: "by subject" }) };
  }
  if (schema.includes('"steps"')) return { content: JSON.stringify({ steps: ["read about it"] }) };
  if (schema.includes('"sources"')) {
    return { content: JSON.stringify({ summary: `Research on: ${userTexts(request)[0]}`, sources: [] }) };
  }
  return { content: `Code on: ${text}` };
};

const routerRequests = (standIn: OllamaStandIn) =>
  standIn.requestsTo("/api/chat").filter((request) => request.body?.model === ROUTER);

describe("the orchestrator routes the host's unmatched lines", { timeout: 30_000 }, () => {
  let standIn: OllamaStandIn;
  let troupe: TroupeProcess;

  beforeAll(async () => {
    standIn = await startOllamaStandIn({
      models: [ROUTER, RESEARCHER, CODER, "nomic-embed-text"],
      defaultReply: answer,
    });
    troupe = spawnTroupe(["start"], modelEnv(standIn.url));
    await troupe.log("troupe started");
  });

  afterAll(async () => {
    troupe?.end();
    await troupe?.exited;
    await standIn?.close();
  });

  it("asks its model which agent takes a line no rule matches, and that agent answers", async () => {
    const from = troupe.stdout.length;
    troupe.send("tell me about the history of tea");
    const answered = await troupe.line("Research on: tell me about the history of tea", { from });
    expect(await troupe.line(/research took it/, { from: troupe.stdout.indexOf(answered) })).toMatch(
      /picked by the model/,
    );
    const [asked] = routerRequests(standIn);
    expect(lastUserText(asked!)).toBe("tell me about the history of tea");
    // Schema-checked: only the team's agents, never the orchestrator itself.
    const allowed = JSON.stringify(asked!.body?.format);
    for (const name of ["research", "code", "echo", "system-monitor"]) expect(allowed).toContain(`"${name}"`);
    expect(allowed).not.toContain('"orchestrator"');
  });

  it("splits `@orchestrator a; b`, fans the parts out to two agents and joins them", async () => {
    const from = troupe.stdout.length;
    troupe.send("@orchestrator tell me about green tea; tidy up my loop");
    await troupe.line("2 of 2 parts answered", { from });
    await troupe.line("[research] tell me about green tea: Research on: tell me about green tea", { from });
    await troupe.line("[code] tidy up my loop: Code on: tidy up my loop", { from });
    expect(troupe.stdout.slice(from).join("\n")).not.toMatch(/deadlock|orchestrator → orchestrator/);
  });

  it("sends no @mention to the model", async () => {
    const from = troupe.stdout.length;
    const seen = standIn.requests.length;
    troupe.send("@research what is oolong tea?");
    await troupe.line("Research on: what is oolong tea?", { from });
    const bodies = standIn.requests.slice(seen).map((request) => JSON.stringify(request.body ?? {}));
    expect(bodies.some((body) => body.includes("what is oolong tea?"))).toBe(true);
    expect(bodies.filter((body) => body.includes("@research"))).toEqual([]);
  });
});

describe("the orchestrator without its model", { timeout: 30_000 }, () => {
  it("routes by the rules, says which agent took it, and warns once", async () => {
    // Nothing listens there: every model call fails at once.
    const troupe = spawnTroupe(["start"], modelEnv("http://127.0.0.1:9"));
    await troupe.log("troupe started");
    troupe.send("tell me about tea");
    const first = await troupe.line(/echo took it/);
    expect(first).toMatch(/the orchestrator's model is unavailable/);
    troupe.send("tell me about coffee");
    await troupe.line(/echo took it/, { from: troupe.stdout.indexOf(first) + 1 });
    troupe.end();
    expect(await troupe.exited).toBe(0);
    const warnings = troupe.logs.filter(
      (record) => record.level === "warn" && String(record.msg).includes("orchestrator's model"),
    );
    expect(warnings).toHaveLength(1);
  });
});

describe("MODEL_TIMEOUT", { timeout: 30_000 }, () => {
  let standIn: OllamaStandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  it("fails a hung model call after MODEL_TIMEOUT_<ROLE>, naming the setting", async () => {
    standIn = await startOllamaStandIn({
      models: [ROUTER, RESEARCHER, CODER, "nomic-embed-text"],
      defaultReply: (request) =>
        request.body?.model === RESEARCHER
          ? { content: "never", hold: new Promise(() => {}) }
          : answer(request),
    });
    const troupe = spawnTroupe(["start"], {
      ...modelEnv(standIn.url),
      MODEL_TIMEOUT_RESEARCH: "1s",
      // The task retries on the hung model: stop without waiting for it.
      TROUPE_DRAIN_TIMEOUT: "100ms",
    });
    await troupe.log("troupe started");
    troupe.send("@research what is tea?");
    expect(await troupe.line(/MODEL_TIMEOUT_RESEARCH/)).toMatch(/did not answer within 1\.0s/);
    troupe.child.kill("SIGTERM");
    await troupe.exited;
  });

  it("refuses a value that is not a duration, naming the variable", async () => {
    const troupe = spawnTroupe(["start"], { MODEL_TIMEOUT_CODE: "soon" });
    expect(await troupe.exited).toBe(2);
    expect(troupe.stderr.join("\n")).toMatch(
      /MODEL_TIMEOUT_CODE must be a time such as 30s, 2m or 1h, got "soon"/,
    );
  });
});
