// TROUPE_AGENTS adds the agents that need a local model to the host's team: run as the real command
// against the Ollama stand-in, the code agent answers through the real `ollama` client; an agent
// name troupe does not know is refused at start, naming the variable.
import { afterEach, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "../../../../test/harness/ollamaStandIn.ts";
import { spawnTroupe } from "../testing/spawnTroupe.ts";

let standIn: OllamaStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe("TROUPE_AGENTS", { timeout: 20_000 }, () => {
  it("adds the code agent, whose answer comes from the model of its role", async () => {
    standIn = await startOllamaStandIn({ models: ["coder:tiny"] });
    standIn.reply({ content: "A closure keeps the variables of the scope it was made in." });
    const troupe = spawnTroupe(["start"], {
      TROUPE_AGENTS: "code",
      OLLAMA_HOST: standIn.url,
      MODEL_CODE: "coder:tiny",
      MODEL_DEFAULT: undefined,
    });
    await troupe.log("troupe started");
    troupe.send("/agents");
    expect(await troupe.line(/^code\s/)).toMatch(/^code\s+idle\s+code, review\s+closed$/);
    troupe.send("/ask code what is a closure?");
    const done = await troupe.line(/✅ done$/);
    // The reply comes before its ✅.
    const reply = await troupe.line("A closure keeps the variables of the scope it was made in.");
    expect(troupe.stdout.indexOf(reply)).toBeLessThan(troupe.stdout.indexOf(done));
    expect(
      standIn.requests.some(
        (request) => request.path === "/api/chat" && request.body?.model === "coder:tiny",
      ),
    ).toBe(true);
    const { url } = (await troupe.log("http listening")) as { url: string };
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/troupe_llm_requests_total\{[^}]*role="code"[^}]*model="coder:tiny"[^}]*\} 1/);
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });

  it("refuses an agent it does not know, naming the variable", async () => {
    const troupe = spawnTroupe(["start"], { TROUPE_AGENTS: "code,wizard" });
    expect(await troupe.exited).toBe(2);
    expect(troupe.stderr.join("\n")).toMatch(
      /TROUPE_AGENTS.*knows orchestrator, research, code, consensus, got "wizard"/,
    );
  });
});
