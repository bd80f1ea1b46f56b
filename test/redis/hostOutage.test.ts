// The real `troupe start` on a private redis-server that the test stops mid-run: /healthz and /readyz
// say 200 with the store up, then 503 naming Redis as unreachable; a stop at end of input on the
// piped console (a task still running) gives up on Redis at the drain timeout instead of waiting for
// it, and exits with 3, "work left", naming what was left. Nothing is slept: the test waits for log
// lines and polls the HTTP answers.
import { afterEach, describe, expect, it, vi } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type PrivateRedis, startPrivateRedis } from "../harness/privateRedis.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const answerOf = async (url: string) => {
  const answer = await fetch(url);
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
};

describe("troupe start during a Redis outage", () => {
  it("says so on /healthz and /readyz, and a stop ends at the drain timeout with exit code 3", async () => {
    const redis: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const troupe = spawnTroupe(["start"], {
      REDIS_URL: redis.url,
      TROUPE_NAMESPACE: "outage",
      TROUPE_CONSUMER: "outage-test",
      TROUPE_TEST_AGENTS: "slow",
      TROUPE_DRAIN_TIMEOUT: "2s",
    });
    cleanups.push(async () => {
      if (troupe.child.exitCode === null && troupe.child.signalCode === null) troupe.child.kill("SIGKILL");
      await troupe.exited;
    });
    const http = String((await troupe.log("http listening")).url);
    await troupe.log("troupe started");
    await vi.waitFor(async () => expect((await answerOf(`${http}/readyz`)).status).toBe(200));
    expect(await answerOf(`${http}/healthz`)).toMatchObject({
      status: 200,
      body: {
        status: "ok",
        ready: true,
        components: {
          store: { status: "up", details: { kind: "redis", url: redis.url, namespace: "outage" } },
          consumer: { status: "up", details: { name: "outage-test" } },
          team: { status: "up" },
          notifier: { status: "up" },
        },
      },
    });

    troupe.send("/ask slow 60000");
    await troupe.line("⚙️ working");
    await redis.stop();
    const unreachable = `store: Redis at ${redis.url} is unreachable`;
    await vi.waitFor(
      async () => {
        const health = await answerOf(`${http}/healthz`);
        expect(health.status).toBe(503);
        expect(health.body.status).toBe("unavailable");
        expect((health.body.reasons as string[]).some((reason) => reason.startsWith(unreachable))).toBe(true);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect((await answerOf(`${http}/readyz`)).status).toBe(503);

    troupe.end(); // end of input on the piped console, a task still running, Redis gone
    expect(await troupe.exited).toBe(3);
    expect(troupe.logs.map((record) => record.msg)).toContain(
      "the drain timeout ran out while Redis is unreachable: giving up on it; outcomes not recorded stay leased and run again at the next start",
    );
    expect(troupe.logs.at(-1)).toMatchObject({
      msg: "troupe stopped",
      exitCode: 3,
      workLeft: expect.arrayContaining([
        "Redis unreachable when the drain timeout ran out",
        "1 running task interrupted",
      ]),
    });
    expect(troupe.logs.map((record) => record.msg)).not.toContain(
      "the stop overran the drain timeout: exiting with work left",
    );
  }, 30_000);
});
