// Human in the loop on Discord, end to end: the real CLI against the stand-in. An agent's approval is
// posted in the task's thread with its short hash and ✅/❌; a ✅ from a member without an approver role
// is ignored, one from a member with the role decides, and the task completes. A question is posted
// in the thread once and the next message a person writes there answers it (it starts no follow-up).
import { bindAction } from "@troupe/runtime";
import { describe, expect, it } from "vitest";
import { discordHostFixture } from "../harness/discordHostFixture.ts";
import type { StandInEvent } from "../harness/discordStandIn.ts";

const host = discordHostFixture({
  standIn: {
    channels: ["deploys", "questions"],
    roles: ["deployers", "visitors"],
  },
  env: {
    DISCORD_CHANNELS: "deploys=approver,questions=asker",
    DISCORD_APPROVER_ROLES: "deployers",
    TROUPE_TEST_AGENTS: "approver,asker",
  },
});

describe("approvals on Discord", () => {
  it("asks in the thread with ✅/❌, ignores a member without the role and proceeds on one with it", async () => {
    const asked = host.standIn.say("deploys", "prod");
    const thread = await host.standIn.threadOn(asked.id);
    const { shortHash } = bindAction({ kind: "deploy", target: "prod" });
    const { message: approval } = await host.standIn.waitFor(
      (event): event is Extract<StandInEvent, { kind: "message" }> =>
        event.kind === "message" &&
        event.message.channelId === thread.id &&
        event.message.content.includes(`approval of #${shortHash}`),
      "the approval in the thread",
    );
    expect(approval.content).toContain('{"kind":"deploy","target":"prod"}');
    expect(approval.content.startsWith(`<@&${host.standIn.roleId("deployers")}>`)).toBe(true);
    expect(approval.allowedMentions).toEqual({
      parse: [],
      users: [],
      roles: [host.standIn.roleId("deployers")],
    });
    await host.standIn.waitFor(
      (event) => event.kind === "reaction" && event.messageId === approval.id && event.shown.length === 2,
      "✅ and ❌ on the approval",
    );
    expect([...approval.reactions]).toEqual(["✅", "❌"]);

    host.standIn.react(approval.id, "✅", { id: "2000000000000000002", username: "bo" }, ["visitors"]);
    await host.troupe.log("surface: an approval reaction from someone without an approver role, ignored");
    host.standIn.react(approval.id, "✅", { id: "2000000000000000001", username: "ana" }, ["deployers"]);

    await host.standIn.reactionAdded(asked.id, "✅");
    const { message: reply } = await host.standIn.waitFor(
      (event): event is Extract<StandInEvent, { kind: "message" }> =>
        event.kind === "message" &&
        event.message.channelId === thread.id &&
        event.message.content.startsWith("deployed"),
      "the reply",
    );
    expect(reply.content).toBe("deployed prod (approved by discord:ana)");
  });

  it("posts a question in the thread and takes the next person's message there as the answer", async () => {
    const asked = host.standIn.say("questions", "which region?");
    const thread = await host.standIn.threadOn(asked.id);
    await host.standIn.waitFor(
      (event) =>
        event.kind === "message" &&
        event.message.channelId === thread.id &&
        event.message.content.includes("asker asks: which region?"),
      "the question in the thread",
    );
    const answer = host.standIn.say(thread.id, "eu-west", { id: "2000000000000000003", username: "cy" });
    await host.standIn.reactionAdded(asked.id, "✅");
    await host.standIn.waitFor(
      (event) =>
        event.kind === "message" &&
        event.message.channelId === thread.id &&
        event.message.content === "answered: eu-west",
      "the reply",
    );
    // The question is posted once (by the gateway, with its reviewers); the answer starts no follow-up.
    const inThread = [...host.standIn.messages.values()].filter((message) => message.channelId === thread.id);
    expect(inThread.filter((message) => message.content.includes("which region?"))).toHaveLength(1);
    expect([...answer.reactions]).toEqual([]);
  });
});
