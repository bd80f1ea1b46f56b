// Human in the loop on Discord, end to end: the real CLI against the stand-in. An agent's approval is
// posted in the task's thread with its short hash and ✅/❌; a ✅ from a member without an approver role
// is ignored, one from a member with the role decides, and the task completes. A question is posted
// in the thread once and the next message a person writes there answers it (it starts no follow-up).
import { bindAction } from "@troupe/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type DiscordStandIn, type StandInEvent, startDiscordStandIn } from "../harness/discordStandIn.ts";

let standIn: DiscordStandIn;
let troupe: TroupeProcess;

beforeAll(async () => {
  standIn = await startDiscordStandIn({
    channels: ["deploys", "questions"],
    roles: ["deployers", "visitors"],
  });
  troupe = spawnTroupe(["start"], {
    ...standIn.hostEnv(),
    DISCORD_CHANNELS: "deploys=approver,questions=asker",
    DISCORD_APPROVER_ROLES: "deployers",
    TROUPE_TEST_AGENTS: "approver,asker",
  });
  await troupe.log("discord surface started");
});

afterAll(async () => {
  troupe?.child.kill("SIGTERM");
  await troupe?.exited;
  await standIn?.close();
});

describe("approvals on Discord", () => {
  it("asks in the thread with ✅/❌, ignores a member without the role and proceeds on one with it", async () => {
    const asked = standIn.say("deploys", "prod");
    const thread = await standIn.threadOn(asked.id);
    const { shortHash } = bindAction({ kind: "deploy", target: "prod" });
    const { message: approval } = await standIn.waitFor(
      (event): event is Extract<StandInEvent, { kind: "message" }> =>
        event.kind === "message" &&
        event.message.channelId === thread.id &&
        event.message.content.includes(`approval of #${shortHash}`),
      "the approval in the thread",
    );
    expect(approval.content).toContain('{"kind":"deploy","target":"prod"}');
    expect(approval.content.startsWith(`<@&${standIn.roleId("deployers")}>`)).toBe(true);
    expect(approval.allowedMentions).toEqual({ parse: [], users: [], roles: [standIn.roleId("deployers")] });
    await standIn.waitFor(
      (event) => event.kind === "reaction" && event.messageId === approval.id && event.shown.length === 2,
      "✅ and ❌ on the approval",
    );
    expect([...approval.reactions]).toEqual(["✅", "❌"]);

    standIn.react(approval.id, "✅", { id: "2000000000000000002", username: "bo" }, ["visitors"]);
    await troupe.log("surface: an approval reaction from someone without an approver role, ignored");
    standIn.react(approval.id, "✅", { id: "2000000000000000001", username: "ana" }, ["deployers"]);

    await standIn.reactionAdded(asked.id, "✅");
    const { message: reply } = await standIn.waitFor(
      (event): event is Extract<StandInEvent, { kind: "message" }> =>
        event.kind === "message" &&
        event.message.channelId === thread.id &&
        event.message.content.startsWith("deployed"),
      "the reply",
    );
    expect(reply.content).toBe("deployed prod (approved by discord:ana)");
  });

  it("posts a question in the thread and takes the next person's message there as the answer", async () => {
    const asked = standIn.say("questions", "which region?");
    const thread = await standIn.threadOn(asked.id);
    await standIn.waitFor(
      (event) =>
        event.kind === "message" &&
        event.message.channelId === thread.id &&
        event.message.content.includes("asker asks: which region?"),
      "the question in the thread",
    );
    const answer = standIn.say(thread.id, "eu-west", { id: "2000000000000000003", username: "cy" });
    await standIn.reactionAdded(asked.id, "✅");
    await standIn.waitFor(
      (event) =>
        event.kind === "message" &&
        event.message.channelId === thread.id &&
        event.message.content === "answered: eu-west",
      "the reply",
    );
    // The question is posted once (by the gateway, with its reviewers); the answer starts no follow-up.
    const inThread = [...standIn.messages.values()].filter((message) => message.channelId === thread.id);
    expect(inThread.filter((message) => message.content.includes("which region?"))).toHaveLength(1);
    expect([...answer.reactions]).toEqual([]);
  });
});
