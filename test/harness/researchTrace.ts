// A trace recorded through the product, for the replay tests: the real `troupe start` with research
// on the Ollama stand-in, asked two questions (echo's and research's), recording by default into
// <data dir>/traces (private: 0700, its file 0600); and a copy of a trace whose first recorded model
// request had another system prompt — what today's research agent asks no longer matches it.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startOllamaStandIn } from "./ollamaStandIn.ts";
import { researchReply } from "./researchReplies.ts";
import { traceRecordsOf, writeTraceRecords } from "./traceRecords.ts";

/** Run `troupe start` in `dataDir` with research on the stand-in, ask two questions; the trace file. */
export const recordResearchTrace = async (dataDir: string): Promise<string> => {
  const ollama = await startOllamaStandIn({ defaultReply: researchReply });
  try {
    const troupe = spawnTroupe(["start"], {
      TROUPE_DATA_DIR: dataDir,
      TROUPE_AGENTS: "research",
      OLLAMA_HOST: ollama.url,
    });
    await troupe.log("troupe started");
    troupe.send("/ask echo hello replay");
    await troupe.line(/^hello replay$/);
    troupe.send("/ask research why is the sky blue");
    await troupe.line(/why is the sky blue/, { from: 1 });
    troupe.end();
    expect(await troupe.exited).toBe(0);
  } finally {
    await ollama.close();
  }
  const traces = join(dataDir, "traces");
  const [file, ...more] = readdirSync(traces);
  expect(more).toEqual([]);
  expect(statSync(traces).mode & 0o777).toBe(0o700);
  expect(statSync(join(traces, file!)).mode & 0o777).toBe(0o600);
  return join(traces, file!);
};

/** Write to `into` a copy of `trace` whose first model request had `prompt` as its system prompt. */
export const withChangedPrompt = (trace: string, into: string, prompt: string): void => {
  const records = traceRecordsOf(trace);
  const first = records.find((record) => record.kind === "io" && record.port === "llm") as unknown as {
    request: { messages: { content: string }[] };
  };
  first.request.messages[0]!.content = prompt;
  writeTraceRecords(into, records);
};
