// Follow-ups on Discord, end to end: the real CLI against the stand-in. A message in a mapped channel
// gets its reply in the task's thread; a person pins that reply; a person's follow-up in the thread
// becomes a new task for the same agent, which receives the opening request and the reply as
// conversation and the pinned message as a note; its reply comes in the same thread and the follow-up
// message gets the status reactions, ending with ✅.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import {
  type DiscordStandIn,
  type StandInEvent,
  type StandInMessage,
  startDiscordStandIn,
} from "../harness/discordStandIn.ts";

let standIn: DiscordStandIn;
let troupe: TroupeProcess;

beforeAll(async () => {
  standIn = await startDiscordStandIn({ channels: ["memo"] });
  troupe = spawnTroupe(["start"], {
    ...standIn.hostEnv(),
    DISCORD_CHANNELS: "memo=recaller",
    TROUPE_TEST_AGENTS: "recaller",
  });
  await troupe.log("discord surface started");
});

afterAll(async () => {
  troupe?.child.kill("SIGTERM");
  await troupe?.exited;
  await standIn?.close();
});

const replyIn = async (threadId: string, after: string) => {
  const { message } = await standIn.waitFor(
    (event): event is Extract<StandInEvent, { kind: "message" }> =>
      event.kind === "message" &&
      event.message.channelId === threadId &&
      event.message.webhookId !== undefined &&
      BigInt(event.message.id) > BigInt(after),
    `a reply in the thread after ${after}`,
  );
  return message;
};
const done = (message: StandInMessage) => standIn.reactionAdded(message.id, "✅");
const received = (reply: StandInMessage) => JSON.parse(reply.content) as Record<string, unknown>;

describe("follow-ups in a thread on Discord", () => {
  it("continue the task with the thread as conversation and its pins as notes", async () => {
    const asked = standIn.say("memo", "the budget is 40 euros");
    const thread = await standIn.threadOn(asked.id);
    const first = await replyIn(thread.id, asked.id);
    await done(asked);
    expect(received(first)).toEqual({ text: "the budget is 40 euros", conversation: [], notes: [] });
    standIn.pin(first.id);

    const followUp = standIn.say(thread.id, "what was the budget?", {
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
    expect(standIn.threads.size).toBe(1); // the follow-up stayed in the task's thread
  });
});
