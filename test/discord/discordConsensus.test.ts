// Consensus on Discord, end to end: the real CLI (with the consensus agent from TROUPE_AGENTS) against
// the stand-in. A vote typed in a channel is posted in the task's thread with its choices numbered
// and the keycap reactions added; a bot's reaction and a person's second reaction do not count, and
// when a second member reacts 1️⃣ the quorum of 2 is reached: the result is posted in the thread and
// the task's message gets ✅.
import { describe, expect, it } from "vitest";
import { discordHostFixture } from "../harness/discordHostFixture.ts";
import type { StandInEvent } from "../harness/discordStandIn.ts";

const host = discordHostFixture({
  standIn: { channels: ["votes"] },
  env: {
    DISCORD_CHANNELS: "votes=consensus",
    TROUPE_AGENTS: "consensus",
  },
});

const ana = { id: "2000000000000000001", username: "ana" };
const bo = { id: "2000000000000000002", username: "bo" };
const otherBot = { id: "2000000000000000009", username: "otherbot", bot: true };

describe("consensus votes on Discord", () => {
  it("takes one vote per person by keycap reaction, ignores bots, and posts the result at the quorum", async () => {
    const asked = host.standIn.say("votes", "Ship on Friday?\n- yes\n- no\nquorum: 2");
    const thread = await host.standIn.threadOn(asked.id);
    const { message: poll } = await host.standIn.waitFor(
      (event): event is Extract<StandInEvent, { kind: "message" }> =>
        event.kind === "message" &&
        event.message.channelId === thread.id &&
        event.message.content.includes("consensus asks for a vote: Ship on Friday?"),
      "the vote in the thread",
    );
    expect(poll.content).toContain("1️⃣ yes\n2️⃣ no");
    expect(poll.allowedMentions).toEqual({ parse: [], users: [], roles: [] });
    await host.standIn.waitFor(
      (event) => event.kind === "reaction" && event.messageId === poll.id && event.shown.length === 2,
      "1️⃣ and 2️⃣ on the vote",
    );
    expect([...poll.reactions]).toEqual(["1️⃣", "2️⃣"]);

    host.standIn.react(poll.id, "1️⃣", otherBot);
    host.standIn.react(poll.id, "1️⃣", ana);
    host.standIn.react(poll.id, "1️⃣", ana);
    host.standIn.react(poll.id, "1️⃣", bo);

    const { message: result } = await host.standIn.waitFor(
      (event): event is Extract<StandInEvent, { kind: "message" }> =>
        event.kind === "message" &&
        event.message.channelId === thread.id &&
        event.message.content.startsWith("🗳️ **Ship on Friday?**\n"),
      "the result in the thread",
    );
    // The consensus agent's markdown form: Discord shows each agent's result as its markdown.
    expect(result.content).toBe(
      [
        "🗳️ **Ship on Friday?**",
        "yes wins with the quorum of 2.",
        "Tally: yes 2, no 0",
        "Votes: discord:ana → yes, discord:bo → yes",
      ].join("\n"),
    );
    await host.standIn.reactionAdded(asked.id, "✅");
  });
});
