// The replay command a task's outcome offers, through the product: `troupe start` records by
// default; on the Discord stand-in the reply in the thread carries `troupe replay <trace file>
// --task <id>` as a footer (outside the reply's text), on the console a line under the reply; that
// command, run as it reads once the host stopped, replays the task offline as identical.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startDiscordStandIn } from "../harness/discordStandIn.ts";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe("the replay command in a task's thread", () => {
  it("is offered under the reply and replays the task offline, identically", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "troupe-thread-replay-"));
    folders.push(dataDir);
    const standIn = await startDiscordStandIn({ channels: ["general"] });
    let command: string;
    try {
      const troupe = spawnTroupe(["start"], {
        ...standIn.hostEnv(),
        DISCORD_CHANNELS: "general",
        TROUPE_DATA_DIR: dataDir,
      });
      await troupe.log("discord surface started");
      const asked = standIn.say("general", "hello from the thread");
      const thread = await standIn.threadOn(asked.id);
      await standIn.waitFor(
        () => [...standIn.messages.values()].some((message) => message.channelId === thread.id),
        "the reply",
      );
      const reply = [...standIn.messages.values()].find((message) => message.channelId === thread.id)!;
      expect(reply.content).toBe("hello from the thread");
      const footer = (reply.embeds?.[0] as { footer?: { text?: string } } | undefined)?.footer?.text;
      const offered = /^replay offline: (troupe replay (\S+) --task (t-\S+))$/.exec(footer ?? "");
      expect(offered?.[2]).toMatch(new RegExp(`^${join(dataDir, "traces")}/trace-\\d{8}T\\d{6}Z\\.jsonl$`));
      expect(offered?.[3]).toBe(`t-${asked.id}`);
      command = offered![1]!;
      troupe.child.kill("SIGTERM");
      expect(await troupe.exited).toBe(0);
    } finally {
      await standIn.close();
    }

    const replay = spawnTroupe(command.split(" ").slice(1), { OLLAMA_HOST: "http://127.0.0.1:9" });
    expect(await replay.exited).toBe(0);
    expect(replay.stdout).toEqual(["identical: 1 task"]);
  }, 60_000);

  it("is printed under the console's reply, from the very first task, and replays it offline", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "troupe-console-replay-"));
    folders.push(dataDir);
    const troupe = spawnTroupe(["start"], { TROUPE_DATA_DIR: dataDir });
    await troupe.log("troupe started");
    troupe.send("hello from the console");
    const line = await troupe.line(/^replay offline: /);
    const offered = /^replay offline: (troupe replay (\S+) --task (t-\S+))$/.exec(line);
    expect(offered?.[2]).toMatch(new RegExp(`^${join(dataDir, "traces")}/trace-\\d{8}T\\d{6}Z\\.jsonl$`));
    const reply = troupe.stdout.indexOf("hello from the console");
    expect(reply).toBeGreaterThan(-1);
    expect(troupe.stdout.indexOf(line)).toBe(reply + 1);
    await troupe.line(new RegExp(`^\\[${offered![3]}\\] ✅ done$`));
    troupe.end();
    expect(await troupe.exited).toBe(0);

    const replay = spawnTroupe(offered![1]!.split(" ").slice(1), { OLLAMA_HOST: "http://127.0.0.1:9" });
    expect(await replay.exited).toBe(0);
    expect(replay.stdout).toEqual(["identical: 1 task"]);
  }, 60_000);
});
