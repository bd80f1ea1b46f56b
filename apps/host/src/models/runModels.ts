// `troupe models`: each agent role and the embedding model of semantic memory, the model it resolves
// to (and from which variable), and whether Ollama has it; the `ollama pull` line for each missing one; with --pull, the missing models pulled
// through Ollama's API with progress on stderr. Returns the process's exit code.
import type { Writable } from "node:stream";
import { formatTable, isTroupeError } from "@troupe/runtime";
import { resolveModels, resolveOllamaHost } from "@troupe/runtime/llm";
import { listOllamaModels, pullOllamaModel, sameModel } from "@troupe/runtime/ollama";
import { modelsUsage } from "./modelsUsage.ts";
import { parseModelsArgs } from "./parseModelsArgs.ts";
import { type ProgressStream, pullProgressView } from "./pullProgress.ts";

export interface ModelsIo {
  readonly stdout: Writable;
  readonly stderr: ProgressStream;
  readonly env: NodeJS.ProcessEnv;
}

export const runModels = async (args: readonly string[], io: ModelsIo): Promise<number> => {
  const options = parseModelsArgs(args);
  if (options.help) {
    io.stdout.write(modelsUsage);
    return 0;
  }
  const host = resolveOllamaHost(io.env);
  const table = resolveModels(io.env);
  const fail = (error: unknown) =>
    io.stderr.write(
      `troupe: ${isTroupeError(error) ? error.reason : error instanceof Error ? error.message : String(error)}\n`,
    );

  let present: readonly string[];
  try {
    present = (await listOllamaModels(host.url)).map((model) => model.name);
  } catch (error) {
    fail(error);
    return 1;
  }
  const has = (model: string) => present.some((name) => sameModel(name, model));
  const missing = [...new Set(table.map((row) => row.model).filter((model) => !has(model)))];

  io.stdout.write(
    `Ollama: ${host.url} (${host.source === "OLLAMA_HOST" ? "from OLLAMA_HOST" : "default; set OLLAMA_HOST to change"})\n\n`,
  );
  io.stdout.write(
    `${formatTable([
      ["ROLE", "MODEL", "FROM", "PRESENT"],
      ...table.map((row) => [row.role, row.model, row.source, has(row.model) ? "yes" : "no"]),
    ])}\n\n`,
  );
  if (missing.length === 0) {
    io.stdout.write("Every model is present.\n");
    return 0;
  }
  if (!options.pull) {
    io.stdout.write(
      `Missing ${missing.length === 1 ? "1 model" : `${missing.length} models`}; pull ${missing.length === 1 ? "it" : "them"} with:\n`,
    );
    for (const model of missing) io.stdout.write(`  ollama pull ${model}\n`);
    io.stdout.write("or run: troupe models --pull\n");
    return 0;
  }

  let failed = 0;
  for (const model of missing) {
    const view = pullProgressView(io.stderr);
    try {
      await pullOllamaModel(host.url, model, { onProgress: (progress) => view.update(progress) });
      view.done();
      io.stdout.write(`pulled ${model}\n`);
    } catch (error) {
      view.done();
      fail(error);
      failed += 1;
    }
  }
  if (failed > 0) {
    io.stdout.write(`${failed} of ${missing.length} pulls failed\n`);
    return 1;
  }
  io.stdout.write("Every model is present.\n");
  return 0;
};
