// Follow-ups on Discord, end to end: the real CLI against the stand-in. A message in a mapped channel
// gets its reply in the task's thread; a person pins that reply; a person's follow-up in the thread
// becomes a new task for the same agent, which receives the opening request and the reply as
// conversation and the pinned message as a note; its reply comes in the same thread and the follow-up
// message gets the status reactions, ending with ✅.
import { describe, expect, it } from "vitest";
import { discordHostFixture } from "../harness/discordHostFixture.ts";
import type { StandInEvent, StandInMessage } from "../harness/discordStandIn.ts";

const host = discordHostFixture({
  standIn: { channels: ["memo"] },
  env: {
    DISCORD_CHANNELS: "memo=recaller",
    TROUPE_TEST_AGENTS: "recaller",
  },
});

const replyIn = async (threadId: string, after: string) => {
  const { message } = await host.standIn.waitFor(
    (event): event is Extract<StandInEvent, { kind: "message" }> =>
      event.kind === "message" &&
      event.message.channelId === threadId &&
      event.message.webhookId !== undefined &&
      BigInt(event.message.id) > BigInt(after),
    `a reply in the thread after ${after}`,
  );
  return message;
};
const done = (message: StandInMessage) => host.standIn.reactionAdded(message.id, "✅");
const received = (reply: StandInMessage) => JSON.parse(reply.content) as Record<string, unknown>;

describe("follow-ups in a thread on Discord", () => {
  it("continue the task with the thread as conversation and its pins as notes", async () => {
    const asked = host.standIn.say("memo", "the budget is 40 euros");
    const thread = await host.standIn.threadOn(asked.id);
    const first = await replyIn(thread.id, asked.id);
    await done(asked);
    expect(received(first)).toEqual({ text: "the budget is 40 euros", conversation: [], notes: [] });
    host.standIn.pin(first.id);

    const followUp = host.standIn.say(thread.id, "what was the budget?", {
      id: "2000000000000000002",
      username: "bo",
    });
    const second = await replyIn(thread.id, followUp.id);
    await done(followUp);
    expect(second.author.username).toBe("recaller");
    expect(received(second)).toEqual({
      text: "what was the budget?",
      conversation: [
        { role: "user", name: "ana", content: "the budget is 40 euros" },
        { role: "assistant", name: "recaller", content: first.content },
      ],
      notes: [first.content],
    });
    expect([...followUp.reactions]).toEqual(["✅"]);
    expect(host.standIn.threads.size).toBe(1); // the follow-up stayed in the task's thread
  });
});
