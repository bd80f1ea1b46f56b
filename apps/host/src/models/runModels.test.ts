// `troupe models`, run as the real command against the Ollama stand-in: the table of roles and
// models (the embedding model of MODEL_EMBED too), the pull lines for what is missing, --pull with its
// progress, and a clear one-line error
// with exit code 1 when Ollama is not there.
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "../../../../test/harness/ollamaStandIn.ts";
import { spawnTroupe } from "../testing/spawnTroupe.ts";

let standIn: OllamaStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

// The machine's own MODEL_* variables must not leak into what the tests expect.
const clean = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith("MODEL_"))
    .map((name) => [name, undefined]),
);
const models = (args: readonly string[], env: Record<string, string | undefined>) =>
  spawnTroupe(["models", ...args], { ...clean, ...env });

const row = (lines: readonly string[], role: string) =>
  lines.find((line) => line.startsWith(`${role} `))?.split(/\s{2,}/);

// Each test runs the real command (Node start-up included), so they get more than the default 5 s.
describe("troupe models", { timeout: 20_000 }, () => {
  it("lists each role's model, where it came from and whether Ollama has it, with pull lines", async () => {
    standIn = await startOllamaStandIn({ models: ["qwen3:8b"] });
    const troupe = models([], { OLLAMA_HOST: standIn.url, MODEL_SCHEDULER: "phi3:mini" });
    expect(await troupe.exited).toBe(0);
    const out = troupe.stdout;
    expect(out[0]).toBe(`Ollama: ${standIn.url} (from OLLAMA_HOST)`);
    expect(row(out, "ROLE")).toEqual(["ROLE", "MODEL", "FROM", "PRESENT"]);
    expect(row(out, "orchestrator")).toEqual(["orchestrator", "qwen3:8b", "default", "yes"]);
    expect(row(out, "code")).toEqual(["code", "qwen2.5-coder:7b", "default", "no"]);
    expect(row(out, "scheduler")).toEqual(["scheduler", "phi3:mini", "MODEL_SCHEDULER", "no"]);
    expect(row(out, "watchlist")).toEqual(["watchlist", "llama3.2:3b", "default", "no"]);
    expect(row(out, "embed")).toEqual(["embed", "nomic-embed-text", "default", "no"]);
    expect(out.slice(out.indexOf("Missing 4 models; pull them with:"))).toEqual([
      "Missing 4 models; pull them with:",
      "  ollama pull qwen2.5-coder:7b",
      "  ollama pull phi3:mini",
      "  ollama pull llama3.2:3b",
      "  ollama pull nomic-embed-text",
      "or run: troupe models --pull",
    ]);
    expect(troupe.stderr.join("")).toBe("");
    expect(standIn.requestsTo("/api/tags")).toHaveLength(1);
    expect(standIn.requestsTo("/api/pull")).toHaveLength(0);
  });

  it("says so when every model is present", async () => {
    standIn = await startOllamaStandIn({ models: ["qwen3:8b", "nomic-embed-text"] });
    const troupe = models([], { OLLAMA_HOST: standIn.url, MODEL_DEFAULT: "qwen3:8b" });
    expect(await troupe.exited).toBe(0);
    expect(troupe.stdout).toContain("Every model is present.");
    expect(row(troupe.stdout, "code")).toEqual(["code", "qwen3:8b", "MODEL_DEFAULT", "yes"]);
  });

  it("--pull pulls the missing models through the API, with plain progress lines on stderr off a terminal", async () => {
    standIn = await startOllamaStandIn({ models: ["qwen3:8b", "llama3.2:3b", "nomic-embed-text"] });
    const troupe = models(["--pull"], { OLLAMA_HOST: standIn.url });
    expect(await troupe.exited).toBe(0);
    expect(
      standIn.requestsTo("/api/pull").map((request) => request.body?.model ?? request.body?.name),
    ).toEqual(["qwen2.5-coder:7b"]);
    expect(standIn.models.has("qwen2.5-coder:7b")).toBe(true);
    expect(troupe.stdout.slice(-2)).toEqual(["pulled qwen2.5-coder:7b", "Every model is present."]);
    const progress = troupe.stderr.filter(Boolean);
    expect(progress[0]).toBe("pulling qwen2.5-coder:7b: pulling manifest");
    expect(
      progress
        .filter((line) => /: pulling [0-9a-f]{12} \d+%/.test(line))
        .map((line) => line.match(/(\d+)%/)?.[1]),
    ).toEqual(["0", "25", "50", "75", "100"]);
    expect(progress.at(-1)).toBe("pulling qwen2.5-coder:7b: success");
    expect(progress.join("\n")).not.toContain("\r");
  });

  it("lists the embedding model of MODEL_EMBED, and --pull pulls it", async () => {
    standIn = await startOllamaStandIn({ models: ["qwen3:8b", "nomic-embed-text"] });
    const env = { OLLAMA_HOST: standIn.url, MODEL_DEFAULT: "qwen3:8b", MODEL_EMBED: "mxbai-embed-large" };
    const listed = models([], env);
    expect(await listed.exited).toBe(0);
    expect(row(listed.stdout, "embed")).toEqual(["embed", "mxbai-embed-large", "MODEL_EMBED", "no"]);
    expect(listed.stdout).toContain("  ollama pull mxbai-embed-large");
    const pulled = models(["--pull"], env);
    expect(await pulled.exited).toBe(0);
    expect(
      standIn.requestsTo("/api/pull").map((request) => request.body?.model ?? request.body?.name),
    ).toEqual(["mxbai-embed-large"]);
    expect(pulled.stdout.slice(-2)).toEqual(["pulled mxbai-embed-large", "Every model is present."]);
  });

  it("exits 1 naming the model when a pull fails, after trying the others", async () => {
    standIn = await startOllamaStandIn({
      models: ["qwen3:8b", "nomic-embed-text"],
      pullable: (model) => model !== "phi3:mini",
    });
    const troupe = models(["--pull"], {
      OLLAMA_HOST: standIn.url,
      MODEL_SCHEDULER: "phi3:mini",
      MODEL_WATCHLIST: "qwen3:8b",
    });
    expect(await troupe.exited).toBe(1);
    expect(troupe.stderr).toContain(
      'troupe: Ollama cannot pull "phi3:mini" (pull model manifest: file does not exist): check the model\'s name',
    );
    expect(troupe.stdout).toContain("pulled qwen2.5-coder:7b");
    expect(troupe.stdout).toContain("1 of 2 pulls failed");
  });

  it("exits 1 with one line naming OLLAMA_HOST when Ollama is not there", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const troupe = models([], { OLLAMA_HOST: `127.0.0.1:${port}` });
    expect(await troupe.exited).toBe(1);
    expect(troupe.stderr.filter(Boolean)).toEqual([
      `troupe: cannot reach Ollama at http://127.0.0.1:${port} (connection refused): start it with \`ollama serve\`, or set OLLAMA_HOST to where it listens`,
    ]);
    expect(troupe.stdout.join("")).toBe("");
  });

  it("prints its help for `troupe models --help` and `troupe help models`, and is in troupe's help", async () => {
    const runs = [spawnTroupe(["models", "--help"]), spawnTroupe(["help", "models"])];
    const main = spawnTroupe(["--help"]);
    for (const help of runs) {
      expect(await help.exited).toBe(0);
      const text = help.stdout.join("\n");
      expect(text).toContain("troupe models [--pull]");
      for (const name of [
        "OLLAMA_HOST",
        "MODEL_ORCHESTRATOR",
        "MODEL_CODE",
        "MODEL_DEFAULT",
        "MODEL_EMBED",
        "--pull",
      ])
        expect(text).toContain(name);
    }
    expect(await main.exited).toBe(0);
    expect(main.stdout.join("\n")).toMatch(/models\s+Which model each agent role uses/);
  });

  it("refuses an unknown option or a malformed MODEL_<ROLE> with exit 2", async () => {
    const unknown = models(["--frobnicate"], {});
    const badModel = models([], { MODEL_CODE: "not a model" });
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr.filter(Boolean)).toEqual([
      'troupe: option "--frobnicate" does not apply to "troupe models"',
      'Run "troupe --help" for usage.',
    ]);
    expect(await badModel.exited).toBe(2);
    expect(badModel.stderr[0]).toBe(
      'troupe: MODEL_CODE must be an Ollama model name such as "qwen3:8b", got "not a model"',
    );
  });
});
