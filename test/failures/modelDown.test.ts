// A model that is down is the most ordinary failure there is, and it is the task's failure, not the
// team's: the real `troupe start` with research and code, its Ollama stand-in stopped, several
// messages on a piped console. Every task shows 🔁 with its attempt and the reason between attempts
// and ❌ once, at its real end; the team never escalates and echo still answers.
import { describe, expect, it } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import { freshNamespace, linesByTask, REDIS_URL, watched } from "./hostFailures.ts";

describe("troupe start with its model down", () => {
  it("retries each task visibly, ends it once with the reason, and keeps the team up", async () => {
    const ollama = await startOllamaStandIn();
    const url = ollama.url;
    await ollama.close(); // down: every model call is refused
    const troupe = watched(
      spawnTroupe(["start"], {
        REDIS_URL,
        TROUPE_NAMESPACE: freshNamespace(),
        TROUPE_AGENTS: "research,code",
        OLLAMA_HOST: url,
        TROUPE_RETRY_BACKOFF: "50ms",
      }),
    );
    await troupe.log("troupe started");
    for (let i = 1; i <= 3; i += 1) {
      troupe.send(`/ask research question ${i}`);
      troupe.send(`/ask code question ${i}`);
    }
    await expect
      .poll(() => troupe.stdout.filter((line) => line.includes("❌")).length, { timeout: 25_000 })
      .toBe(6);

    const tasks = linesByTask(troupe.stdout);
    expect(tasks.size).toBe(6);
    for (const [id, lines] of tasks) {
      const retries = lines.filter((line) => line.startsWith("🔁"));
      expect(
        retries.map((line) => /^🔁 retrying \(attempt (\d)\): /.exec(line)?.[1]),
        id,
      ).toEqual(["2", "3", "4", "5"]);
      const ends = lines.filter((line) => line.startsWith("❌"));
      expect(ends, id).toHaveLength(1);
      expect(lines.at(-1), id).toBe(ends[0]);
      expect(ends[0]).toMatch(/^❌ failed: .+$/);
    }
    // The first failures say what is wrong and what to do.
    expect(
      [...tasks.values()].some((lines) =>
        lines.some((line) =>
          /^🔁 retrying \(attempt 2\): cannot reach Ollama at .*: start it with `ollama serve`/.test(line),
        ),
      ),
    ).toBe(true);

    expect(troupe.stdout.some((line) => line.includes("escalated"))).toBe(false);
    troupe.send("/ask echo still here");
    await troupe.line(/^still here$/);
    troupe.send("/status");
    await troupe.line(/^Team: accepting tasks, /);
    troupe.end();
    expect(await troupe.exited).toBe(0);
    expect(troupe.logs.filter((record) => record.msg === "the team escalated")).toEqual([]);
  }, 60_000);
});
