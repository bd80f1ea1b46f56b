// The docs are tests: every code block in README.md and docs/*.md is typechecked and run as a
// reader would run it, unless the line above says why it is only illustrative. TypeScript blocks
// are typechecked together with the repository's settings and each run on Node from a scratch
// folder (with a hidden `prelude:` where a fragment needs set-up); shell blocks run in bash from the
// repository root; JSON blocks parse, and an MCP configuration passes the host's own reader. The
// model is the Ollama stand-in, Redis the local one (its `prod` namespace is cleared afterwards).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { deleteNamespace } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMcpConfigFile } from "../../apps/host/src/config/toolsMemoryConfig.ts";
import { type DiscordWebhookStandIn, startDiscordWebhookStandIn } from "../harness/discordWebhookStandIn.ts";
import { type OllamaStandIn, startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import { blockName, type DocBlock, docBlocksOf } from "./docBlocks.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const blocksDir = join(root, "test/docs/.blocks"); // inside the repo, so @troupe/* resolve
const REDIS_URL = "redis://127.0.0.1:6379";
const pages = ["README.md", ...readdirSync(join(root, "docs")).map((name) => `docs/${name}`)].filter((file) =>
  file.endsWith(".md"),
);
const blocks = pages.flatMap((file) => docBlocksOf(root, file));
const of = (lang: string) => blocks.filter((block) => block.lang === lang);
const runnable = (lang: string) => of(lang).filter((block) => block.illustrative === undefined);
const label = (block: DocBlock) => `${block.file}:${block.line}`;

interface Ran {
  readonly code: number | null;
  readonly output: string;
}

/** Run a command to its end (killed after `timeoutMs`), collecting stdout and stderr. */
const run = (command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) =>
  new Promise<Ran>((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => resolve({ code, output }));
  });

let ollama: OllamaStandIn;
let webhook: DiscordWebhookStandIn;
let scratch: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ollama = await startOllamaStandIn({
    models: ["qwen3:8b", "llama3.2:3b", "qwen2.5-coder:7b", "nomic-embed-text"],
  });
  webhook = await startDiscordWebhookStandIn();
  scratch = mkdtempSync(join(tmpdir(), "troupe-doc-blocks-"));
  env = {
    ...process.env,
    OLLAMA_HOST: ollama.url,
    REDIS_URL,
    WEBHOOK: webhook.webhookUrl,
    TROUPE_DATA_DIR: join(scratch, "data"),
    DISCORD_TOKEN: "",
  };
  rmSync(blocksDir, { recursive: true, force: true });
  mkdirSync(blocksDir, { recursive: true });
  writeFileSync(
    join(blocksDir, "tsconfig.json"),
    JSON.stringify({
      extends: "../../../tsconfig.base.json",
      compilerOptions: { noEmit: true },
      include: ["*.ts"],
    }),
  );
  for (const block of of("ts"))
    writeFileSync(
      join(blocksDir, `${blockName(block)}.ts`),
      `${block.prelude ?? ""}\n${block.code}\nexport {};\n`,
    );
});

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  await deleteNamespace(redis, "prod");
  await redis.quit();
  await ollama?.close();
  await webhook?.close();
  rmSync(blocksDir, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("code blocks in README.md and docs/", () => {
  it("are all of a language the check knows, and every illustrative one says why", () => {
    expect(blocks.length).toBeGreaterThan(30);
    expect(blocks.filter((block) => !["", "ts", "sh", "json"].includes(block.lang)).map(label)).toEqual([]);
    expect(blocks.filter((block) => block.illustrative === "").map(label)).toEqual([]);
    expect(runnable("ts").length + runnable("sh").length).toBeGreaterThan(8);
  });

  it("typecheck: every TypeScript block, with the repository's strict settings", async () => {
    const tsc = join(root, "node_modules/.bin/tsc");
    const { code, output } = await run(tsc, ["-p", join(blocksDir, "tsconfig.json")], { cwd: root, env });
    expect(output).toBe("");
    expect(code).toBe(0);
  });

  it.each(runnable("ts").map((block) => [label(block), block] as const))("runs %s", async (_, block) => {
    const cwd = join(scratch, blockName(block));
    mkdirSync(cwd, { recursive: true });
    const url = pathToFileURL(join(blocksDir, `${blockName(block)}.ts`)).href;
    const { code, output } = await run(
      process.execPath,
      [
        "--conditions=troupe-source",
        "--input-type=module",
        "-e",
        `await import(${JSON.stringify(url)}); process.exit(0);`,
      ],
      { cwd, env },
    );
    expect(output, output).not.toMatch(/Error|ERR_/);
    expect(code).toBe(0);
  });

  it.each(runnable("sh").map((block) => [label(block), block] as const))("runs %s", async (_, block) => {
    const { code, output } = await run("bash", ["-euo", "pipefail", "-c", block.code], { cwd: root, env });
    expect(code, output).toBe(0);
  });

  it.each(of("json").map((block) => [label(block), block] as const))("parses %s", (_, block) => {
    const value = JSON.parse(block.code) as Record<string, unknown>;
    if ("servers" in value) {
      const file = join(scratch, `${blockName(block)}.json`);
      writeFileSync(file, block.code);
      expect(readMcpConfigFile(file).servers.length).toBeGreaterThan(0);
    }
  });
});
