// One `troupe start` on the Discord stand-in for a whole test file: the stand-in and the host are
// started before the file's tests (ready once the Discord surface is up) and stopped after them — the
// host with SIGTERM, as a person would, then the stand-in.
import { afterAll, beforeAll } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type DiscordStandIn, type DiscordStandInOptions, startDiscordStandIn } from "./discordStandIn.ts";

export interface DiscordHostFixture {
  readonly standIn: DiscordStandIn;
  readonly troupe: TroupeProcess;
}

export const discordHostFixture = (options: {
  readonly standIn: DiscordStandInOptions;
  /** The host's settings besides the stand-in's own (DISCORD_CHANNELS, test agents, …). */
  readonly env: Record<string, string>;
}): DiscordHostFixture => {
  const fixture = {} as { standIn: DiscordStandIn; troupe: TroupeProcess };
  beforeAll(async () => {
    fixture.standIn = await startDiscordStandIn(options.standIn);
    fixture.troupe = spawnTroupe(["start"], { ...fixture.standIn.hostEnv(), ...options.env });
    await fixture.troupe.log("discord surface started");
  });
  afterAll(async () => {
    fixture.troupe?.child.kill("SIGTERM");
    await fixture.troupe?.exited;
    await fixture.standIn?.close();
  });
  return fixture;
};
