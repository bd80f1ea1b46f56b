// A model server that accepts a request and never answers is as ordinary as one that is down, and
// quieter: the real `troupe start` with research, its Ollama stand-in holding the embedding or the
// chat answers. A hung embedder costs each task its deadline and no more: the answer comes without
// recall, with one warning naming the setting, and memory is back when the model answers. A hung chat
// model fails each attempt once at its deadline (no second wait inside the step), shows 🔁 with the
// setting to raise, ends ❌ once, and the rest of the team answers meanwhile.
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type OllamaStandIn, startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import { researchOnStandIn, researchReply } from "../harness/researchReplies.ts";
import { linesByTask, onCleanup, watched } from "./hostFailures.ts";

const MODELS = ["qwen3:8b", "nomic-embed-text"];

let standIn: OllamaStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

/** A promise settled only when the test lets it (or when the test ends). */
const held = () => {
  let release!: () => void;
  const until = new Promise<void>((resolve) => {
    release = resolve;
  });
  onCleanup(() => release());
  return { until, release };
};

const startResearch = (env: Record<string, string>) =>
  watched(spawnTroupe(["start"], { ...researchOnStandIn(standIn!.url), ...env }));

describe("troupe start with its model server hung", () => {
  it("answers without recall while the embedding model hangs, warns once, and recalls again once it answers", async () => {
    standIn = await startOllamaStandIn({ models: MODELS, defaultReply: researchReply });
    const embeds = held();
    standIn.holdEmbeds(embeds.until);
    const troupe = startResearch({ MODEL_TIMEOUT_EMBED: "1s" });
    await troupe.log("troupe started");

    troupe.send("/ask research what is an actor");
    await troupe.line(/^what is an actor$/);
    troupe.send("/ask research what is a supervisor");
    await troupe.line(/^what is a supervisor$/);
    const off = troupe.logs.filter((record) => String(record.msg).startsWith("semantic memory off"));
    expect(off).toHaveLength(1);
    expect(off[0]).toMatchObject({
      level: "warn",
      msg: "semantic memory off: its embedding model did not answer in time; tasks run without recall",
    });
    expect(String(off[0]!.error)).toMatch(/did not answer within 1\.0s .*: raise MODEL_TIMEOUT_EMBED$/);
    // Troupe gave up on each hung request: every embed it sent was closed by the client.
    await expect.poll(() => standIn!.requestsTo("/api/embed").every((request) => request.aborted)).toBe(true);

    embeds.release();
    troupe.send("/ask research what is an actor");
    await troupe.log("semantic memory back on: its embedding model answers again");
    await expect.poll(() => troupe.stdout.filter((line) => line === "what is an actor").length).toBe(2);
    const ended = [...linesByTask(troupe.stdout).values()].map((lines) => lines.at(-1));
    expect(ended).toEqual(["✅ done", "✅ done", "✅ done"]);
    troupe.end();
    expect(await troupe.exited).toBe(0);
    expect(troupe.logs.filter((record) => record.level === "error")).toEqual([]);
  }, 60_000);

  it("fails each attempt at MODEL_TIMEOUT with 🔁 naming it, ends ❌ once, and the team answers meanwhile", async () => {
    const chats = held();
    standIn = await startOllamaStandIn({
      models: MODELS,
      defaultReply: (request) => ({ ...researchReply(request), hold: chats.until }),
    });
    const troupe = startResearch({ MODEL_TIMEOUT: "1s", TROUPE_RETRY_BACKOFF: "50ms" });
    await troupe.log("troupe started");

    troupe.send("/ask research what is an actor");
    await troupe.line(/🔁 retrying \(attempt 2\)/);
    troupe.send("/ask echo still here");
    await troupe.line(/^still here$/);
    await troupe.line(/❌/);

    const [research] = [...linesByTask(troupe.stdout).values()];
    const retries = research!.filter((line) => line.startsWith("🔁"));
    expect(retries.map((line) => /^🔁 retrying \(attempt (\d)\): /.exec(line)?.[1])).toEqual([
      "2",
      "3",
      "4",
      "5",
    ]);
    expect(retries[0]).toMatch(
      /did not answer within 1\.0s .*: raise MODEL_TIMEOUT \(or set MODEL_TIMEOUT_RESEARCH/,
    );
    expect(research!.filter((line) => line.startsWith("❌"))).toHaveLength(1);
    expect(research!.at(-1)).toMatch(/^❌ failed: .*did not answer within 1\.0s/);
    // One wait per attempt: the plan was asked five times, once an attempt, each request closed.
    const asked = standIn.requestsTo("/api/chat");
    expect(asked).toHaveLength(5);
    await expect.poll(() => asked.every((request) => request.aborted)).toBe(true);

    troupe.end();
    expect(await troupe.exited).toBe(0);
    expect(troupe.logs.filter((record) => record.msg === "the team escalated")).toEqual([]);
  }, 60_000);
});
