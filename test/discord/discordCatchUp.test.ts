// `troupe start` on Discord answers what was written while it was not connected, exactly once, end to
// end: the real CLI against the stand-in, driven by the real discord.js. Messages posted while the host
// was stopped are answered after the next start (on the embedded store and on Redis), and not again at
// the start after; messages posted during a gateway drop whose session Discord would not resume (op 9,
// a new session) are read back and answered; a drop that resumes replays what was missed, and the
// catch-up after it answers nothing a second time.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deleteNamespace } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type DiscordStandIn, type StandInMessage, startDiscordStandIn } from "../harness/discordStandIn.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
const CAUGHT_UP = "surface: caught up on missed messages";

let standIn: DiscordStandIn;
let folder: string;
const running = new Set<TroupeProcess>();

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), "troupe-discord-catch-up-"));
  standIn = await startDiscordStandIn({ channels: ["general", "random"] });
});

afterAll(async () => {
  await standIn?.close();
  rmSync(folder, { recursive: true, force: true });
});

afterEach(async () => {
  for (const troupe of running) {
    troupe.child.kill("SIGKILL");
    await troupe.exited;
  }
  running.clear();
});

/** troupe on Discord with `store` settings, once the catch-up of its start has read every channel. */
const startTroupe = async (store: Record<string, string>) => {
  const troupe = spawnTroupe(["start"], {
    ...standIn.hostEnv(),
    DISCORD_CHANNELS: "general=echo",
    TROUPE_CONSUMER: "catch-up-test",
    ...store,
  });
  running.add(troupe);
  const caughtUp = await troupe.log(CAUGHT_UP);
  return { troupe, caughtUp };
};

const stopTroupe = async (troupe: TroupeProcess) => {
  troupe.child.kill("SIGTERM");
  expect(await troupe.exited).toBe(0);
  running.delete(troupe);
};

/** The echo agent's replies in a message's thread (a thread has its message's id). */
const repliesTo = (asked: StandInMessage) =>
  [...standIn.messages.values()].filter(
    (message) => message.channelId === asked.id && message.author.username === "echo",
  );

/** The message got its reply and its ✅. */
const answered = async (asked: StandInMessage) => {
  await standIn.threadOn(asked.id);
  await standIn.reactionAdded(asked.id, "✅");
  await standIn.waitFor(() => repliesTo(asked).length > 0, `the reply to "${asked.content}"`);
};

/** Each message has one thread, started once, and one reply: its own text, echoed. */
const answeredOnce = (asked: readonly StandInMessage[]) => {
  for (const message of asked) {
    const threadCalls = standIn
      .restCalls(/\/threads$/)
      .filter((call) => call.path.includes(`/messages/${message.id}/`));
    expect(threadCalls.map((call) => call.status)).toEqual([201]);
    expect(repliesTo(message).map((reply) => reply.content)).toEqual([message.content]);
  }
};

const identifies = () =>
  standIn.events.filter((event) => event.kind === "gateway" && event.op === "identify").length;

describe("troupe on Discord answers what was posted while it was stopped", { timeout: 90_000 }, () => {
  const stores: [string, () => Promise<Record<string, string>>][] = [
    ["the embedded store", async () => ({ TROUPE_DATA_DIR: join(folder, `sqlite-${randomUUID()}`) })],
    [
      "Redis",
      async () => {
        const namespace = `catch-up-test-${randomUUID().slice(0, 8)}`;
        const redis = new Redis(REDIS_URL);
        cleanups.push(async () => {
          await deleteNamespace(redis, namespace);
          await redis.quit();
        });
        return { REDIS_URL, TROUPE_NAMESPACE: namespace };
      },
    ],
  ];
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it.each(stores)(
    "on %s: after the next start, once, and not again at the start after",
    async (_, storeOf) => {
      const store = await storeOf();
      const first = await startTroupe(store);
      expect(first.caughtUp).toMatchObject({ why: "start", channels: 1, read: 0 });
      const before = standIn.say("general", "before the stop");
      await answered(before);
      await stopTroupe(first.troupe);

      const whileDown = [standIn.say("general", "while it was down"), standIn.say("general", "still down")];
      standIn.say("random", "not a Troupe channel");
      const second = await startTroupe(store);
      expect(second.caughtUp).toMatchObject({ read: 2, tasks: 2, alreadyTaken: 0, skipped: 0 });
      await Promise.all(whileDown.map(answered));
      await stopTroupe(second.troupe);

      const third = await startTroupe(store);
      expect(third.caughtUp).toMatchObject({ read: 0, tasks: 0 });
      await stopTroupe(third.troupe);
      answeredOnce([before, ...whileDown]);
    },
  );

  it("answers a follow-up written in a task's thread while it was stopped, once", async () => {
    const store = { TROUPE_DATA_DIR: join(folder, `thread-${randomUUID()}`) };
    const first = await startTroupe(store);
    const asked = standIn.say("general", "the budget is 40 euros");
    await answered(asked);
    await stopTroupe(first.troupe);

    const thread = await standIn.threadOn(asked.id);
    const followUp = standIn.say(thread.id, "what was the budget?", {
      id: "2000000000000000002",
      username: "bo",
    });
    const second = await startTroupe(store);
    expect(second.caughtUp).toMatchObject({ threads: 1, tasks: 1, alreadyTaken: 0 });
    await standIn.reactionAdded(followUp.id, "✅");
    await stopTroupe(second.troupe);

    const third = await startTroupe(store);
    expect(third.caughtUp).toMatchObject({ tasks: 0 });
    await stopTroupe(third.troupe);
    expect(repliesTo(asked).map((reply) => reply.content)).toEqual([
      "the budget is 40 euros",
      "what was the budget?",
    ]);
  });
});

describe("troupe on Discord across gateway drops", { timeout: 90_000 }, () => {
  let troupe: TroupeProcess;
  beforeAll(async () => {
    ({ troupe } = await startTroupe({ TROUPE_DATA_DIR: join(folder, "drops") }));
    running.delete(troupe); // runs for the whole describe
  });
  afterAll(async () => {
    troupe.child.kill("SIGTERM");
    expect(await troupe.exited).toBe(0);
  });

  it("answers what was posted while a session Discord would not resume was down (op 9, a new session)", async () => {
    const before = standIn.say("general", "before the drop");
    await answered(before);
    const identified = identifies();
    const from = troupe.logs.length;
    standIn.dropGateway(4000, { session: "lost" });
    const during = [standIn.say("general", "during the drop"), standIn.say("general", "also during it")];
    await standIn.waitFor((event) => event.kind === "gateway" && event.op === "invalid-session", "op 9");
    expect(await troupe.log(CAUGHT_UP, { from })).toMatchObject({ why: "a new session", tasks: 2 });
    expect(identifies()).toBe(identified + 1);
    await Promise.all(during.map(answered));
    const after = standIn.say("general", "after the drop");
    await answered(after);
    answeredOnce([before, ...during, after]);
  });

  it("answers once what a resume replays, though the catch-up after it reads it too", async () => {
    const before = standIn.say("general", "before the resume");
    await answered(before);
    const from = troupe.logs.length;
    standIn.dropGateway();
    const during = standIn.say("general", "replayed by the resume");
    await standIn.waitFor((event) => event.kind === "gateway" && event.op === "resumed", "a resume");
    expect(await troupe.log(CAUGHT_UP, { from })).toMatchObject({ why: "a resumed session", tasks: 0 });
    await answered(during);
    answeredOnce([before, during]);
  });
});
