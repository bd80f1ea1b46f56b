// Step-level resume through the real `troupe start`: a host SIGKILLed while research is writing its
// answer is started again on the same data folder, and the task finishes from the step it was in.
// The Ollama stand-in counts the model calls: the plan, finished before the kill, is never asked again;
// only the answer that was cut off is asked a second time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type OllamaStandIn, type StandInRequest, startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import { isPlanRequest, researchReply } from "../harness/researchReplies.ts";

const isAnswerRequest = (request: StandInRequest) =>
  request.path === "/api/chat" &&
  Object.keys((request.body?.format as { properties?: object } | undefined)?.properties ?? {}).includes(
    "summary",
  );

let standIn: OllamaStandIn | undefined;
let folder: string | undefined;
const running = new Set<TroupeProcess>();

afterEach(async () => {
  for (const troupe of running) {
    troupe.child.kill("SIGKILL");
    await troupe.exited;
  }
  running.clear();
  await standIn?.close();
  standIn = undefined;
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const startResearch = (dataDir: string) => {
  const troupe = spawnTroupe(["start"], {
    TROUPE_AGENTS: "research",
    TROUPE_DATA_DIR: dataDir,
    TROUPE_CONSUMER: "research-resume-test",
    OLLAMA_HOST: standIn!.url,
    MODEL_DEFAULT: "qwen3:8b",
    MODEL_RESEARCH: undefined,
    MODEL_EMBED: undefined,
  });
  running.add(troupe);
  return troupe;
};

describe("troupe start resumes a research task at its step after a SIGKILL", { timeout: 60_000 }, () => {
  it("asks the model for the plan once, and again only for the answer that was cut off", async () => {
    folder = mkdtempSync(join(tmpdir(), "troupe-research-resume-"));
    let answers = 0;
    standIn = await startOllamaStandIn({
      models: ["qwen3:8b"],
      // The first answer never comes: the host is killed while research is summarizing.
      defaultReply: (request) =>
        isAnswerRequest(request) && ++answers === 1
          ? { ...researchReply(request), hold: new Promise(() => {}) }
          : researchReply(request),
    });
    const first = startResearch(folder);
    await first.log("troupe started");
    first.send("/ask research what is a closure?");
    await standIn.waitForRequest(isAnswerRequest, 20_000);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    running.delete(first);
    expect(standIn.requests.filter(isPlanRequest)).toHaveLength(1);

    const second = startResearch(folder);
    await second.line(/✅ done$/);
    expect(standIn.requests.filter(isPlanRequest)).toHaveLength(1);
    expect(standIn.requests.filter(isAnswerRequest)).toHaveLength(2);
  });
});
