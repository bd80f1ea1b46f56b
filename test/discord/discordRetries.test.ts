// Retries you can see on Discord: the real `troupe start` on the Discord stand-in, its research agent's
// model down (the Ollama stand-in stopped). A question in #research shows 🔁 between attempts, with
// the attempt and the reason posted in its thread, and ❌ once, only when the task has really ended,
// with the reason.
import { describe, expect, it } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { freshNamespace, onCleanup, REDIS_URL, watched } from "../failures/hostFailures.ts";
import { type StandInEvent, startDiscordStandIn } from "../harness/discordStandIn.ts";
import { startOllamaStandIn } from "../harness/ollamaStandIn.ts";

describe("troupe start on Discord with its model down", () => {
  it("shows 🔁 with the attempt and the reason between attempts, and ❌ once at the end", async () => {
    const ollama = await startOllamaStandIn();
    const ollamaUrl = ollama.url;
    await ollama.close(); // down: every model call is refused
    const standIn = await startDiscordStandIn({ channels: ["research"] });
    onCleanup(() => standIn.close());
    const troupe = watched(
      spawnTroupe(["start"], {
        ...standIn.hostEnv(),
        DISCORD_CHANNELS: "research=research",
        REDIS_URL,
        TROUPE_NAMESPACE: freshNamespace(),
        TROUPE_AGENTS: "research",
        OLLAMA_HOST: ollamaUrl,
        // Waits from 0.2 s up: most outlast the reactions' coalescing (0.25 s), so 🔁 is shown.
        TROUPE_RETRY_BACKOFF: "400ms",
      }),
    );
    await troupe.log("discord surface started");

    const asked = standIn.say("research", "what changed in the release?");
    const thread = await standIn.threadOn(asked.id);
    await standIn.reactionAdded(asked.id, "❌");
    const posts = () =>
      [...standIn.messages.values()]
        .filter((message) => message.channelId === thread.id)
        .map((message) => message.content);
    await standIn.waitFor(() => posts().some((post) => post.startsWith("❌")), "the ❌ post");
    const reason = /^🔁 retrying \(attempt 2\): (.+)$/.exec(posts()[0]!)?.[1];
    expect(reason).toMatch(/^cannot reach Ollama at .*: start it with `ollama serve`/);
    expect(posts()).toEqual([
      `🔁 retrying (attempt 2): ${reason}`,
      expect.stringMatching(/^🔁 retrying \(attempt 3\): /),
      expect.stringMatching(/^🔁 retrying \(attempt 4\): /),
      expect.stringMatching(/^🔁 retrying \(attempt 5\): /),
      expect.stringMatching(/^❌ failed: .+/),
    ]);
    const added = standIn.events
      .filter(
        (event): event is Extract<StandInEvent, { kind: "reaction" }> =>
          event.kind === "reaction" && event.messageId === asked.id && event.op === "add",
      )
      .map((event) => event.emoji);
    expect(added).toContain("🔁");
    expect(added.filter((emoji) => emoji === "❌")).toEqual(["❌"]);
    expect(added.at(-1)).toBe("❌");
    expect([...standIn.messages.get(asked.id)!.reactions]).toEqual(["❌"]);

    troupe.child.kill("SIGTERM");
    expect(await troupe.exited).toBe(0);
  }, 60_000);
});
