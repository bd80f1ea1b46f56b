// Two `troupe start` hosts on a private Redis and one Discord (the stand-in): the gateway holder is
// frozen (SIGSTOP) while its reply to a task waits in discord.js behind a rate limit; its gateway lease
// runs out, the other host takes the gateway over and posts the reply while catching up; then the
// frozen host is resumed (SIGCONT). Its queued reply goes out before its own lease timers have run,
// so only a check against Redis right before the request keeps it from answering twice: the thread
// must end with exactly one reply, and the resumed host says once (without the webhook's token) that it
// dropped what it would send.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startDiscordStandIn } from "../harness/discordStandIn.ts";
import { startPrivateRedis } from "../harness/privateRedis.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const DROPPED = "discord: this host no longer holds the gateway; dropping what it would still send";
/** A reply's webhook post (`POST /webhooks/{id}/{token}`), not a webhook's creation. */
const REPLY_POST = /\/webhooks\/\d+\/[^/]+$/;

describe("a gateway holder frozen with a reply queued", { timeout: 90_000 }, () => {
  it("drops the reply when it resumes after another host took the gateway and answered", async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const standIn = await startDiscordStandIn({ channels: ["gated"] });
    cleanups.push(() => standIn.close());
    const gates = mkdtempSync(join(tmpdir(), "troupe-freeze-gates-"));
    cleanups.push(async () => rmSync(gates, { recursive: true, force: true }));
    const start = (consumer: string) => {
      const troupe = spawnTroupe(["start"], {
        ...standIn.hostEnv(),
        DISCORD_CHANNELS: "gated=gate",
        TROUPE_TEST_AGENTS: "gate",
        TROUPE_LEASE: "3s",
        REDIS_URL: redis.url,
        TROUPE_NAMESPACE: "freeze",
        TROUPE_CONSUMER: consumer,
        // Renewed every 2 s: the 2 s rate-limit wait below ends before a's lease would, so a's
        // queued reply is the first thing it does once resumed.
        TROUPE_GATEWAY_LEASE: "6s",
      });
      cleanups.push(async () => {
        troupe.child.kill("SIGKILL");
        await troupe.exited;
      });
      return troupe;
    };
    const a = start("host-a");
    await a.log("discord surface started");
    const b = start("host-b");
    await b.log("discord gateway: standing by until this host holds the gateway lease");

    const gate = join(gates, "open");
    const asked = standIn.say("gated", gate);
    await standIn.reactionAdded(asked.id, "⚙️");
    // a's reply is answered 429 once: discord.js waits 2 s and sends it again.
    standIn.rateLimitNext({ method: "POST", path: REPLY_POST }, 2_000);
    writeFileSync(`${gate}.tmp`, "the gate opened");
    renameSync(`${gate}.tmp`, gate);
    await standIn.waitFor(
      (event) => event.kind === "rest" && event.status === 429 && REPLY_POST.test(event.path),
      "a's reply held up by the rate limit",
    );
    a.child.kill("SIGSTOP");

    await b.log("discord surface started", { from: 0 });
    const replies = () =>
      [...standIn.messages.values()].filter(
        (message) => message.channelId === asked.id && message.content === "the gate opened",
      );
    await standIn.waitFor(() => replies().length > 0, "b's reply in the task's thread", 30_000);
    await standIn.reactionAdded(asked.id, "✅");

    const resumedAt = a.logs.length;
    a.child.kill("SIGCONT");
    // a either drops its queued reply (and says so) or posts it a second time.
    await Promise.race([
      a.log(DROPPED, { from: resumedAt }),
      standIn.waitFor(() => replies().length > 1, "a second reply", 20_000),
    ]);
    expect(replies()).toHaveLength(1);
    await a.log("discord gateway: standing by until this host holds the gateway lease", { from: resumedAt });
    const dropped = a.logs.filter((record) => record.msg === DROPPED);
    expect(dropped).toMatchObject([
      { level: "warn", method: "POST", path: expect.stringMatching(/:token$/) },
    ]);
    for (const hook of standIn.webhooks.values()) expect(JSON.stringify(a.logs)).not.toContain(hook.token);
    expect([...standIn.messages.get(asked.id)!.reactions]).toEqual(["✅"]);
  });
});
