// The Discord surface with a fence (the gateway lease of several hosts: `RedisLease.confirm`), on the
// real discord.js and the stand-in: messages and slash commands from the gateway are handed on in the
// order they came, once the fence says yes — however long it takes to answer (Redis slow) —; once it
// said no, neither they nor anything after them is (another host holds the gateway: its own gateway or
// catch-up has them), and the messages a catch-up reads back are refused with SurfaceLost.
import { isTroupeError } from "@troupe/runtime";
import { createDiscordSurface, type DiscordSurface } from "@troupe/runtime/discord";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type DiscordStandIn, startDiscordStandIn } from "../harness/discordStandIn.ts";

const LEFT = "discord: this host no longer holds the gateway; leaving what came in to the host that does";

let standIn: DiscordStandIn;
let surface: DiscordSurface;
afterEach(async () => {
  await surface?.close();
  await standIn?.close();
});

/** A connected surface with `fence`; what its listeners got (`m:<content>`, `c:<command>`) and its logs. */
const fencedSurface = async (fence: () => Promise<boolean>) => {
  standIn = await startDiscordStandIn({ channels: ["general"] });
  const logs: { msg: string; fields: Record<string, unknown> }[] = [];
  surface = createDiscordSurface({
    token: standIn.token,
    apiUrl: standIn.apiUrl,
    fence,
    logger: { log: (_level, msg, fields = {}) => logs.push({ msg, fields }) },
  });
  await surface.connect(AbortSignal.timeout(10_000));
  const got: string[] = [];
  surface.onMessage((message) => got.push(`m:${message.content}`));
  surface.onCommand!((command) => got.push(`c:${command.name}`));
  return { got, logs };
};

describe("what comes in through a fenced Discord surface", () => {
  it("is handed on in the order it came once a slow fence says yes", async () => {
    let asked = 0;
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const { got } = await fencedSurface(async () => {
      asked += 1;
      await answered;
      return true;
    });
    standIn.say("general", "first");
    standIn.interact("general", "status");
    standIn.say("general", "second");
    await vi.waitFor(() => expect(asked).toBe(1));
    expect(got).toEqual([]);
    answer();
    await vi.waitFor(() => expect(got).toEqual(["m:first", "c:status", "m:second"]));
  });

  it("is left to the holder from the fence's first no on, and a catch-up's read is refused", async () => {
    let holding = true;
    const { got, logs } = await fencedSurface(async () => holding);
    standIn.say("general", "while held");
    await vi.waitFor(() => expect(got).toEqual(["m:while held"]));

    holding = false;
    const left = standIn.say("general", "after the lease went");
    const command = standIn.interact("general", "status");
    await vi.waitFor(() => expect(logs.filter((log) => log.msg === LEFT)).toHaveLength(2));
    // It never asks again: even a fence that would say yes now lets nothing more in.
    holding = true;
    const later = standIn.say("general", "later");
    await vi.waitFor(() => expect(logs.filter((log) => log.msg === LEFT)).toHaveLength(3));
    expect(got).toEqual(["m:while held"]);
    expect(logs.filter((log) => log.msg === LEFT).map((log) => log.fields)).toEqual([
      { messageId: left.id },
      { interactionId: command, command: "status" },
      { messageId: later.id },
    ]);
    expect(standIn.events.filter((event) => event.kind === "interaction-callback")).toEqual([]);

    const read = surface.messagesSince!(standIn.channelId("general"), { since: 0, limit: 10 });
    await expect(read).rejects.toSatisfy((error) => isTroupeError(error, "SurfaceLost"));
  });
});
