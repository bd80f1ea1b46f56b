// `troupe start` on Discord across a SIGKILL, end to end: the real CLI against the stand-in, restarted
// on the same data folder. A task cut off while ⚙️ working finishes after the restart with exactly
// one status reaction (✅) and its reply in its thread; an approval pending at the SIGKILL, approved
// with ✅ while the host was down, counts after the restart without a second approval message. Also:
// an expired approval is refused in the thread, and a task waiting for its busy agent shows 👀
// between 📥 and ⚙️.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindAction } from "@troupe/runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type DiscordStandIn, type StandInEvent, startDiscordStandIn } from "../harness/discordStandIn.ts";

const STATUS = ["📥", "👀", "⚙️", "✋", "🔁", "✅", "❌", "🚫"];
const ANA = { id: "2000000000000000001", username: "ana" };

let standIn: DiscordStandIn;
let folder: string;
const running = new Set<TroupeProcess>();

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), "troupe-discord-restart-"));
  standIn = await startDiscordStandIn({ channels: ["gated", "deploys"], roles: ["deployers"] });
});

afterAll(async () => {
  await standIn?.close();
  rmSync(folder, { recursive: true, force: true });
});

/** troupe on Discord, on `dataDir`, once its surface started (after reconciling). */
const startTroupe = async (dataDir: string) => {
  const troupe = spawnTroupe(["start"], {
    ...standIn.hostEnv(),
    DISCORD_CHANNELS: "gated=gate,deploys=approver",
    DISCORD_APPROVER_ROLES: "deployers",
    TROUPE_TEST_AGENTS: "gate,approver",
    TROUPE_DATA_DIR: dataDir,
    TROUPE_CONSUMER: "discord-restart-test",
  });
  running.add(troupe);
  await troupe.log("discord surface started");
  return troupe;
};

const kill = async (troupe: TroupeProcess) => {
  troupe.child.kill("SIGKILL");
  expect(await troupe.exited).toBe("SIGKILL");
  running.delete(troupe);
};

/** The gate agent answers with the file's content: written whole, then put in place. */
const openGate = (path: string, content: string) => {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
};

const threadOf = async (messageId: string) => (await standIn.threadOn(messageId)).id;
const postIn = async (threadId: string, match: (content: string) => boolean, what: string) =>
  (
    await standIn.waitFor(
      (event): event is Extract<StandInEvent, { kind: "message" }> =>
        event.kind === "message" && event.message.channelId === threadId && match(event.message.content),
      what,
    )
  ).message;
const postsIn = (threadId: string, match: (content: string) => boolean) =>
  [...standIn.messages.values()].filter(
    (message) => message.channelId === threadId && match(message.content),
  );
const statusShown = (messageId: string) =>
  [...standIn.messages.get(messageId)!.reactions].filter((emoji) => STATUS.includes(emoji));
const added = (messageId: string) =>
  standIn.events
    .filter(
      (event): event is Extract<StandInEvent, { kind: "reaction" }> =>
        event.kind === "reaction" && event.op === "add" && event.messageId === messageId,
    )
    .map((event) => event.emoji);

describe("troupe on Discord after a SIGKILL", { timeout: 60_000 }, () => {
  afterEach(async () => {
    for (const troupe of running) {
      troupe.child.kill("SIGKILL");
      await troupe.exited;
    }
    running.clear();
  });

  it("finishes a task cut off while working: one status reaction, ✅, and the reply in its thread", async () => {
    const dataDir = join(folder, "working");
    const gate = join(folder, "working-gate");
    const first = await startTroupe(dataDir);
    const asked = standIn.say("gated", gate);
    const thread = await threadOf(asked.id);
    await standIn.reactionAdded(asked.id, "⚙️");
    await kill(first);
    expect(statusShown(asked.id)).toEqual(["⚙️"]);

    const second = await startTroupe(dataDir);
    expect(await second.log("surface: a task left open before the restart")).toMatchObject({
      queue: "leased",
      shown: "⚙️",
    });
    openGate(gate, "finished after the restart");
    const reply = await postIn(thread, (content) => content === "finished after the restart", "the reply");
    expect(reply.author.username).toBe("gate");
    await standIn.reactionAdded(asked.id, "✅");
    // Stopping waits for the reactions to settle: then exactly one status reaction is left.
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    running.delete(second);
    expect(statusShown(asked.id)).toEqual(["✅"]);
    expect(postsIn(thread, (content) => content === "finished after the restart")).toHaveLength(1);

    // Nothing is left to reconcile at the next start.
    const third = await startTroupe(dataDir);
    expect(third.logs.some((record) => record.msg === "surface: a task left open before the restart")).toBe(
      false,
    );
  });

  it("counts a ✅ added while the host was down, without posting the approval again", async () => {
    const dataDir = join(folder, "approval");
    const first = await startTroupe(dataDir);
    const asked = standIn.say("deploys", "prod");
    const thread = await threadOf(asked.id);
    const { shortHash } = bindAction({ kind: "deploy", target: "prod" });
    const isApproval = (content: string) => content.includes(`asks for approval of #${shortHash}`);
    const approval = await postIn(thread, isApproval, "the approval");
    await standIn.waitFor(
      (event) => event.kind === "reaction" && event.messageId === approval.id && event.shown.length === 2,
      "✅ and ❌ on the approval",
    );
    await standIn.reactionAdded(asked.id, "✋");
    await kill(first);

    standIn.react(approval.id, "✅", ANA, ["deployers"]);
    const second = await startTroupe(dataDir);
    await second.log("surface: the approval's message from before the restart, found again");
    await postIn(thread, (content) => content === "deployed prod (approved by discord:ana)", "the reply");
    await standIn.reactionAdded(asked.id, "✅");
    expect(postsIn(thread, isApproval)).toHaveLength(1);
  });
});

describe("troupe on Discord, approvals and 👀", { timeout: 60_000 }, () => {
  let troupe: TroupeProcess;
  beforeAll(async () => {
    troupe = await startTroupe(join(folder, "shared"));
    running.delete(troupe); // this one lives for the whole block
  });
  afterAll(async () => {
    troupe?.child.kill("SIGKILL");
    await troupe?.exited;
  });

  it("refuses an approval nobody answered before it expired, and says so in the thread", async () => {
    const asked = standIn.say("deploys", "staging expires=1s");
    const thread = await threadOf(asked.id);
    const { shortHash } = bindAction({ kind: "deploy", target: "staging" });
    await postIn(thread, (content) => content.includes(`asks for approval of #${shortHash}`), "the approval");
    const refusal = await postIn(thread, (content) => content.startsWith("❌"), "the refusal");
    expect(refusal.content).toMatch(
      new RegExp(`^❌ failed: the approval of action #${shortHash} expired .* the action was not approved$`),
    );
    await standIn.reactionAdded(asked.id, "❌");
    expect(postsIn(thread, (content) => content.startsWith("deployed"))).toEqual([]);
  });

  it("shows 👀 while a task waits for its busy agent: 📥 → 👀 → ⚙️ → ✅", async () => {
    const busyGate = join(folder, "busy-gate");
    const waitingGate = join(folder, "waiting-gate");
    const busy = standIn.say("gated", busyGate);
    await standIn.reactionAdded(busy.id, "⚙️");
    const waiting = standIn.say("gated", waitingGate);
    await standIn.reactionAdded(waiting.id, "👀"); // leased by the worker, queued behind the busy task
    expect(statusShown(waiting.id)).toEqual(["👀"]);
    openGate(busyGate, "the first");
    await standIn.reactionAdded(waiting.id, "⚙️");
    openGate(waitingGate, "the second");
    await standIn.reactionAdded(waiting.id, "✅");
    expect(added(waiting.id)).toEqual(["📥", "👀", "⚙️", "✅"]);
  });
});
