// Memory as `troupe start` wires it, run as the real command with the research agent against the
// Ollama stand-in: in PostgreSQL (the local server, in a schema of this test's own) a team recalls
// its own past answers only, never another namespace's, and an answer given again is kept once;
// without the embedding model in Ollama, research tasks still run, with one warning.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type OllamaStandIn, startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import {
  isPlanRequest,
  relatedPastWork,
  researchOnStandIn,
  researchReply,
} from "../harness/researchReplies.ts";

const schema = `troupe_cli_${process.pid}`;
const POSTGRES = "postgres://postgres@127.0.0.1:5432/test";
const memoryUrl = `${POSTGRES}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;

beforeAll(async () => {
  const pool = new pg.Pool({ connectionString: POSTGRES });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await pool.end();
});

afterAll(async () => {
  const pool = new pg.Pool({ connectionString: POSTGRES });
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

let standIn: OllamaStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

const researchTeam = (env: Record<string, string>) =>
  spawnTroupe(["start"], { ...researchOnStandIn(standIn!.url), ...env });

/** Ask research and wait for the task to end; what its plan request listed as related past work. */
const ask = async (troupe: TroupeProcess, question: string) => {
  const plans = standIn!.requests.filter(isPlanRequest).length;
  const from = troupe.stdout.length;
  troupe.send(`/ask research ${question}`);
  await troupe.line(/✅ done$/, { from });
  const plan = standIn!.requests.filter(isPlanRequest)[plans];
  return plan ? relatedPastWork(plan) : undefined;
};

describe("troupe start's semantic memory", { timeout: 60_000 }, () => {
  it("in PostgreSQL: a team recalls its own answers once each, never another namespace's", async () => {
    standIn = await startOllamaStandIn({
      models: ["qwen3:8b", "nomic-embed-text"],
      defaultReply: researchReply,
    });
    const question = `what is the capital of France (${randomUUID().slice(0, 8)})?`;
    const alpha = researchTeam({
      TROUPE_NAMESPACE: `alpha-${process.pid}`,
      TROUPE_MEMORY_POSTGRES_URL: memoryUrl,
    });
    expect(((await alpha.log("memory")) as { semantic: string }).semantic).toContain("(plain)");
    expect(await ask(alpha, question)).toEqual([]);
    expect(await ask(alpha, question)).toEqual([question]);
    // Answered a second and third time: still one memory of it.
    expect(await ask(alpha, question)).toEqual([question]);
    alpha.end();
    expect(await alpha.exited).toBe(0);

    const beta = researchTeam({
      TROUPE_NAMESPACE: `beta-${process.pid}`,
      TROUPE_MEMORY_POSTGRES_URL: memoryUrl,
    });
    expect(await ask(beta, question)).toEqual([]);
    beta.end();
    expect(await beta.exited).toBe(0);
  });

  it("without the embedding model in Ollama: research runs, and one warning says recall is off", async () => {
    standIn = await startOllamaStandIn({ models: ["qwen3:8b"], defaultReply: researchReply });
    const troupe = researchTeam({});
    await troupe.log("troupe started");
    await ask(troupe, "what is a closure?");
    await ask(troupe, "what is a monad?");
    const warnings = troupe.logs.filter((record) => record.level === "warn");
    expect(warnings.map((record) => record.msg)).toEqual([
      "semantic memory off: its embedding model is missing; tasks run without recall",
    ]);
    expect(String(warnings[0]?.error)).toContain("troupe models --pull");
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });
});
