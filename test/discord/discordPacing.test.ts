// A fresh host's first tasks on Discord's real reaction limit (adding and removing the bot's own
// reactions share one bucket per channel, one per 250 ms — the stand-in keeps it): the real CLI earns
// no 429, and every thread gets its reply before its message shows ✅.
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type DiscordStandIn, startDiscordStandIn } from "../harness/discordStandIn.ts";

let standIn: DiscordStandIn | undefined;
let troupe: TroupeProcess | undefined;
afterEach(async () => {
  troupe?.child.kill("SIGTERM");
  await troupe?.exited;
  await standIn?.close();
});

describe("a fresh host on Discord's reaction limit", { timeout: 60_000 }, () => {
  it("earns no 429 on its first tasks, and posts each reply before ✅", async () => {
    standIn = await startDiscordStandIn({ channels: ["general"] });
    troupe = spawnTroupe(["start"], { ...standIn.hostEnv(), DISCORD_CHANNELS: "general=echo" });
    await troupe.log("discord surface started");
    const asked = ["first", "second", "third"].map((text) => standIn!.say("general", text));
    for (const message of asked) await standIn.reactionAdded(message.id, "✅");
    expect(standIn.stats.unforced429).toBe(0);
    expect(standIn.stats.earlyRetries).toBe(0);
    for (const message of asked) {
      const thread = standIn.threads.get(message.id)!;
      const replyAt = standIn.events.findIndex(
        (event) => event.kind === "message" && event.message.channelId === thread.id,
      );
      const doneAt = standIn.events.findIndex(
        (event) =>
          event.kind === "reaction" &&
          event.messageId === message.id &&
          event.op === "add" &&
          event.emoji === "✅",
      );
      expect(replyAt).toBeGreaterThanOrEqual(0);
      expect(replyAt).toBeLessThan(doneAt);
    }
  });
});
