// Discord's REST down, end to end: the real CLI against the stand-in answering 503 to every REST call
// (the gateway stays up, so messages still arrive). A task's thread, status reaction and reply land
// as files in the file-drop folder; when REST is back they reach Discord in the order they were
// spooled (the reply in the task's real thread, under the agent's webhook) and the folder empties.
// A question asked in a thread made during the outage is answered in the real thread once it exists.
// Spooled operations left when troupe stops are replayed by the next start.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SpooledOperation } from "@troupe/runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type DiscordStandIn, type StandInEvent, startDiscordStandIn } from "../harness/discordStandIn.ts";

let standIn: DiscordStandIn;
let scratch: string;
let troupe: TroupeProcess | undefined;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "troupe-fallback-"));
  standIn = await startDiscordStandIn({ channels: ["gated", "questions"] });
});

afterEach(async () => {
  standIn.restDown(false);
  troupe?.child.kill("SIGTERM");
  await troupe?.exited;
  troupe = undefined;
});

afterAll(async () => {
  await standIn?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const start = (fallbackDir: string) => {
  troupe = spawnTroupe(["start"], {
    ...standIn.hostEnv(),
    DISCORD_CHANNELS: "gated=gate,questions=asker",
    TROUPE_TEST_AGENTS: "gate,asker",
    TROUPE_DISCORD_FALLBACK_DIR: fallbackDir,
  });
  return troupe;
};

/** The operations in the folder, oldest first. */
const spooled = (dir: string): SpooledOperation[] =>
  readdirSync(dir)
    .filter((name) => /^\d{12}-\w+\.json$/.test(name))
    .sort()
    .map(
      (name) =>
        (JSON.parse(readFileSync(join(dir, name), "utf8")) as { operation: SpooledOperation }).operation,
    );

/** The folder's operations once `ready` says so, watching it (no polling), within 15s. */
const spooledWhen = (dir: string, ready: (operations: SpooledOperation[]) => boolean) =>
  new Promise<SpooledOperation[]>((resolve, reject) => {
    const watcher = watch(dir);
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`the file drop never got there: ${JSON.stringify(spooled(dir), null, 1)}`));
    }, 15_000);
    const check = () => {
      const operations = spooled(dir);
      if (!ready(operations)) return;
      clearTimeout(timer);
      watcher.close();
      resolve(operations);
    };
    watcher.on("change", check);
    check();
  });

/** An operation as the stand-in shows it once delivered. */
const describeOperation = (operation: SpooledOperation) => {
  switch (operation.op) {
    case "startThread":
      return `thread on ${operation.on.messageId}`;
    case "post":
      return `post ${operation.post.content}`;
    case "react":
    case "unreact":
      return `${operation.op} ${operation.emoji} on ${operation.on.messageId}`;
  }
};
const describeEvent = (event: StandInEvent) => {
  if (event.kind === "thread") return `thread on ${event.thread.id}`;
  if (event.kind === "message") return `post ${event.message.content}`;
  if (event.kind === "reaction")
    return `${event.op === "add" ? "react" : "unreact"} ${event.emoji} on ${event.messageId}`;
  return undefined;
};
/** What reached the stand-in from event `from` on. */
const deliveredSince = (from: number) =>
  standIn.events.slice(from).flatMap((event) => describeEvent(event) ?? []);

const postOf = (content: string) => (operations: SpooledOperation[]) =>
  operations.some((operation) => operation.op === "post" && operation.post.content === content);
const finalReaction = (operations: SpooledOperation[]) =>
  operations.some((operation) => operation.op === "react" && operation.emoji === "✅");

describe("Discord REST down", () => {
  it("spools the task's thread, reaction and reply as files and replays them in order when REST is back", async () => {
    const dir = join(scratch, "first");
    const troupe = start(dir);
    await troupe.log("discord surface started");

    const upTo = standIn.events.length;
    standIn.restDown(true);
    const gate = join(scratch, "gate-first");
    const asked = standIn.say("gated", gate);
    await troupe.log("surface fallback: outgoing calls fail; spooling them to the file drop");
    writeFileSync(gate, "done while Discord was down");
    const operations = await spooledWhen(
      dir,
      (found) => postOf("done while Discord was down")(found) && finalReaction(found),
    );
    expect(operations[0]).toMatchObject({ op: "startThread", on: { messageId: asked.id }, name: gate });
    // The spool holds task text: its folder and files are for their owner only.
    if (process.platform !== "win32") {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      for (const name of readdirSync(dir).filter((name) => name.endsWith(".json")))
        expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    }
    // Nothing got through while it was down.
    const whileDown = standIn.events.slice(upTo);
    expect(whileDown.some((event) => event.kind === "rest" && event.status === 503)).toBe(true);
    expect(whileDown.filter((event) => event.kind === "rest" && event.status !== 503)).toEqual([]);
    const downFrom = standIn.events.length;

    standIn.restDown(false);
    await troupe.log("surface fallback: the surface is back; the file drop is replayed");
    expect(deliveredSince(downFrom)).toEqual(operations.map(describeOperation));
    expect(spooled(dir)).toEqual([]);

    const thread = standIn.threads.get(asked.id);
    expect(thread?.name).toBe(gate);
    const reply = [...standIn.messages.values()].find(
      (message) => message.content === "done while Discord was down",
    );
    expect(reply?.channelId).toBe(asked.id);
    expect(reply?.webhookId).toBeDefined();
    expect([...(standIn.messages.get(asked.id)?.reactions ?? [])]).toEqual(["✅"]);
  });

  it("takes the answer to a question asked during the outage from the replayed thread", async () => {
    const dir = join(scratch, "question");
    const troupe = start(dir);
    await troupe.log("discord surface started");
    standIn.restDown(true);
    const asked = standIn.say("questions", "which region?");
    await spooledWhen(dir, (found) =>
      found.some((operation) => operation.op === "post" && operation.post.content.includes("asker asks")),
    );
    standIn.restDown(false);
    await troupe.log("surface fallback: the surface is back; the file drop is replayed");
    const question = [...standIn.messages.values()].find((message) => message.content.includes("asker asks"));
    expect(question?.channelId).toBe(asked.id);

    standIn.say(asked.id, "eu-west", { id: "2000000000000000003", username: "cy" });
    await standIn.waitFor(
      (event) =>
        event.kind === "message" &&
        event.message.channelId === asked.id &&
        event.message.content === "answered: eu-west",
      "the reply in the thread",
    );
  });

  it("keeps what is spooled on disk when troupe stops, and the next start replays it", async () => {
    const dir = join(scratch, "restart");
    const first = start(dir);
    await first.log("discord surface started");
    standIn.restDown(true);
    const gate = join(scratch, "gate-restart");
    writeFileSync(gate, "finished before the stop");
    const asked = standIn.say("gated", gate);
    const operations = await spooledWhen(
      dir,
      (found) => postOf("finished before the stop")(found) && finalReaction(found),
    );
    first.child.kill("SIGTERM");
    await first.exited;
    expect(spooled(dir)).toEqual(operations);

    standIn.restDown(false);
    const downFrom = standIn.events.length;
    const second = start(dir);
    await second.log("surface fallback: the surface is back; the file drop is replayed");
    expect(deliveredSince(downFrom)).toEqual(operations.map(describeOperation));
    expect(spooled(dir)).toEqual([]);
    expect(standIn.threads.get(asked.id)).toBeDefined();
  });
});
