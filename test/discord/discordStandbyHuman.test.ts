// Questions and approvals of tasks that run on a standby host, end to end: two `troupe start`
// processes on one Redis and the Discord stand-in. The holder of the gateway lease has leased as many
// gated tasks as it has room for before the standby starts, so the next task can only run on the standby.
// Its approval is forwarded through Redis, posted by the holder (the only host connected) in the
// task's thread, and a ✅ from an approver lets the task finish: its reply and ✅ arrive. When the
// holder is SIGKILLed with the approval pending, the standby takes the gateway and the request over,
// finds the approval's message again (no second one) and counts the ✅ added meanwhile. A question of
// a task on the standby is posted by the holder too, and the next message a person writes in the
// thread answers it (no follow-up), also when the question is asked again by a new holder.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindAction } from "@troupe/runtime";
import { deleteNamespace } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type StandInEvent, startDiscordStandIn } from "../harness/discordStandIn.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
/**
 * The gated tasks that keep the holder busy: a worker leases one task per idle agent, and the
 * holder's team (echo, the system monitor, approver, gate and asker) has five.
 */
const HOLDER_ROOM = 5;
const ANA = { id: "2000000000000000001", username: "ana" };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const setUp = async () => {
  const standIn = await startDiscordStandIn({
    channels: ["deploys", "gated", "questions"],
    roles: ["deployers"],
  });
  const namespace = `standby-human-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL);
  const gates = mkdtempSync(join(tmpdir(), "troupe-standby-gates-"));
  cleanups.push(async () => {
    await standIn.close();
    await deleteNamespace(redis, namespace);
    await redis.quit();
    rmSync(gates, { recursive: true, force: true });
  });
  const start = (consumer: string) => {
    const troupe = spawnTroupe(["start"], {
      DISCORD_TOKEN: standIn.token,
      DISCORD_API_URL: standIn.apiUrl,
      DISCORD_GUILD_ID: standIn.guildId,
      DISCORD_APPLICATION_ID: standIn.applicationId,
      DISCORD_CHANNELS: "deploys=approver,gated=gate,questions=asker",
      DISCORD_APPROVER_ROLES: "deployers",
      TROUPE_TEST_AGENTS: "approver,gate,asker",
      REDIS_URL,
      TROUPE_NAMESPACE: namespace,
      TROUPE_CONSUMER: consumer,
      TROUPE_GATEWAY_LEASE: "3s",
    });
    cleanups.push(async () => {
      troupe.child.kill("SIGKILL");
      await troupe.exited;
    });
    return troupe;
  };
  const reaction = (messageId: string, emoji: string) =>
    standIn.waitFor(
      (event) =>
        event.kind === "reaction" &&
        event.op === "add" &&
        event.messageId === messageId &&
        event.emoji === emoji,
      `${emoji} on ${messageId}`,
    );
  const postIn = async (thread: string, match: (content: string) => boolean, what: string) =>
    (
      await standIn.waitFor(
        (event): event is Extract<StandInEvent, { kind: "message" }> =>
          event.kind === "message" && event.message.channelId === thread && match(event.message.content),
        what,
      )
    ).message;

  /** A holder whose room is taken by gated tasks, and a standby started after: it runs what comes next. */
  const holderBusyAndStandby = async () => {
    const holder = start("host-a");
    await holder.log("discord surface started");
    const gated = Array.from({ length: HOLDER_ROOM }, (_, n) =>
      standIn.say("gated", join(gates, `never-${n}`)),
    );
    // Leased by the holder's worker: one works (⚙️), the others wait for the busy gate agent (👀).
    for (const message of gated)
      await standIn.waitFor(
        (event) =>
          event.kind === "reaction" &&
          event.op === "add" &&
          event.messageId === message.id &&
          (event.emoji === "👀" || event.emoji === "⚙️"),
        `👀 or ⚙️ on ${message.id}`,
      );
    const standby = start("host-b");
    await standby.log("discord gateway: standing by until this host holds the gateway lease");
    await standby.log("troupe started");
    return { holder, standby };
  };

  /** Ask for the approval of deploying prod; returns the task's id, message, thread and approval message. */
  const approvalAsked = async (holder: TroupeProcess) => {
    const from = holder.logs.length;
    const asked = standIn.say("deploys", "prod");
    const { taskId } = await holder.log("surface: task from a message", { from });
    const thread = await standIn.threadOn(asked.id);
    const { shortHash } = bindAction({ kind: "deploy", target: "prod" });
    const isApproval = (content: string) => content.includes(`asks for approval of #${shortHash}`);
    const approval = await postIn(thread.id, isApproval, "the approval in the thread");
    await standIn.waitFor(
      (event) => event.kind === "reaction" && event.messageId === approval.id && event.shown.length === 2,
      "✅ and ❌ on the approval",
    );
    return { taskId, asked, thread: thread.id, approval, isApproval };
  };

  /** The task was deployed on ana's approval: its reply, ✅, and the approval posted once only. */
  const deployedOnce = async ({ asked, thread, isApproval }: Awaited<ReturnType<typeof approvalAsked>>) => {
    const reply = await postIn(thread, (content) => content.startsWith("deployed"), "the reply");
    expect(reply.content).toBe("deployed prod (approved by discord:ana)");
    await reaction(asked.id, "✅");
    expect(
      [...standIn.messages.values()].filter(
        (message) => message.channelId === thread && isApproval(message.content),
      ),
    ).toHaveLength(1);
  };

  const identifies = () =>
    standIn.events.filter((event) => event.kind === "gateway" && event.op === "identify").length;

  return { standIn, start, reaction, postIn, holderBusyAndStandby, approvalAsked, deployedOnce, identifies };
};

/** The standby ran the approver's task: its team forwarded the approval. */
const forwardedBy = (standby: TroupeProcess) =>
  standby.log("human relay: request forwarded to the host holding the surface");

describe("questions and approvals of tasks that run on a standby host", { timeout: 90_000 }, () => {
  it("posts the approval from the holder in the task's thread, and the ✅ lets the task on the standby proceed", async () => {
    const { standIn, holderBusyAndStandby, approvalAsked, deployedOnce, identifies } = await setUp();
    const { holder, standby } = await holderBusyAndStandby();
    const approvalOf = await approvalAsked(holder);
    const { taskId, approval } = approvalOf;

    expect(await forwardedBy(standby)).toMatchObject({ taskId, agent: "approver" });
    expect(await holder.log("human relay: serving a forwarded request")).toMatchObject({ taskId });
    expect(identifies()).toBe(1); // only the holder is connected: it posted the approval
    expect(approval.content).toContain('{"kind":"deploy","target":"prod"}');

    standIn.react(approval.id, "✅", ANA, ["deployers"]);
    await deployedOnce(approvalOf);
  });

  it("hands a pending approval over to the standby when the holder is killed, and counts the ✅ added meanwhile", async () => {
    const { standIn, holderBusyAndStandby, approvalAsked, deployedOnce } = await setUp();
    const { holder, standby } = await holderBusyAndStandby();
    const approvalOf = await approvalAsked(holder);
    const { taskId, approval } = approvalOf;
    expect(await forwardedBy(standby)).toMatchObject({ taskId });

    holder.child.kill("SIGKILL");
    await holder.exited;
    standIn.react(approval.id, "✅", ANA, ["deployers"]);
    await standby.log("discord surface started");
    expect(await standby.log("human relay: serving a forwarded request")).toMatchObject({ taskId });
    await standby.log("surface: the approval's message from before the restart, found again");

    await deployedOnce(approvalOf);
  });

  it("posts a question of a task on the standby in its thread, and the reply there answers it", async () => {
    const { standIn, reaction, postIn, holderBusyAndStandby } = await setUp();
    const { holder, standby } = await holderBusyAndStandby();
    const from = holder.logs.length;
    const asked = standIn.say("questions", "which region?");
    const { taskId } = await holder.log("surface: task from a message", { from });
    const { thread } = await standIn.waitFor(
      (event): event is Extract<StandInEvent, { kind: "thread" }> =>
        event.kind === "thread" && event.thread.id === asked.id,
      "the task's thread",
    );
    await postIn(thread.id, (content) => content.includes("asker asks: which region?"), "the question");
    expect(await forwardedBy(standby)).toMatchObject({ taskId, agent: "asker" });

    const answer = standIn.say(thread.id, "eu-west", { id: "2000000000000000003", username: "cy" });
    await postIn(thread.id, (content) => content === "answered: eu-west", "the reply");
    await reaction(asked.id, "✅");
    const inThread = [...standIn.messages.values()].filter((message) => message.channelId === thread.id);
    expect(inThread.filter((message) => message.content.includes("which region?"))).toHaveLength(1);
    expect([...answer.reactions]).toEqual([]); // the answer started no follow-up
  });

  it("asks a pending question again from the new holder when the holder is killed, and the reply answers it", async () => {
    const { standIn, reaction, postIn, holderBusyAndStandby } = await setUp();
    const { holder, standby } = await holderBusyAndStandby();
    const asked = standIn.say("questions", "which region?");
    const { thread } = await standIn.waitFor(
      (event): event is Extract<StandInEvent, { kind: "thread" }> =>
        event.kind === "thread" && event.thread.id === asked.id,
      "the task's thread",
    );
    const isQuestion = (content: string) => content.includes("asker asks: which region?");
    await postIn(thread.id, isQuestion, "the question");

    holder.child.kill("SIGKILL");
    await holder.exited;
    const from = standby.logs.length;
    await standby.log("discord surface started", { from });
    await standby.log("human relay: serving a forwarded request", { from });
    await standIn.waitFor(
      () => [...standIn.messages.values()].filter((message) => isQuestion(message.content)).length === 2,
      "the question asked again by the new holder",
    );

    const answer = standIn.say(thread.id, "eu-west", { id: "2000000000000000003", username: "cy" });
    await postIn(thread.id, (content) => content === "answered: eu-west", "the reply");
    await reaction(asked.id, "✅");
    expect([...answer.reactions]).toEqual([]); // the answer started no follow-up
    expect(standby.logs.some((record) => record.msg === "surface: follow-up in a task's thread")).toBe(false);
  });
});
