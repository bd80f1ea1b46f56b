// The behaviour every OutboxStore adapter must show (memory, SQLite, Redis), as one suite each
// adapter's test runs against its own backend: idempotent enqueue, claims per sink with leases and
// fences, settling (sent, retry, release, dead letter), fallback candidates, holds, Kakao tokens
// and the refresh lock — and that all of it is still there for a reopened handle (a restart).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Alert } from "./Alert.ts";
import { deliveryId, type KakaoTokenStore, type NewDelivery, type OutboxStore } from "./OutboxStore.ts";

export type ContractStore = OutboxStore & KakaoTokenStore;

export interface OutboxBackend {
  readonly store: ContractStore;
  /** A second handle on the same backend, as a restarted process would open it. */
  reopen(): Promise<ContractStore>;
  cleanup(): Promise<void>;
}

const T0 = 1_700_000_000_000;

export const alertOf = (alertId: string, overrides: Partial<Alert> = {}): Alert => ({
  alertId,
  severity: "warning",
  source: "test",
  title: `title ${alertId}`,
  text: `text of ${alertId} — 한국어 🚨`,
  at: T0,
  ...overrides,
});

export const deliveryOf = (
  alertId: string,
  sink: string,
  chunk = 1,
  overrides: Partial<NewDelivery> = {},
): NewDelivery => ({
  id: deliveryId(alertId, sink, chunk),
  alertId,
  sink,
  severity: "warning",
  title: `title ${alertId}`,
  text: `chunk ${chunk} of ${alertId}`,
  chunk,
  chunks: 1,
  fallback: true,
  batch: false,
  dueAt: T0,
  createdAt: T0,
  ...overrides,
});

export const describeOutboxContract = (name: string, open: () => Promise<OutboxBackend>): void => {
  describe(`${name}: the OutboxStore contract`, () => {
    let backend: OutboxBackend;
    let store: ContractStore;
    beforeEach(async () => {
      backend = await open();
      store = backend.store;
    });
    afterEach(async () => {
      await backend.cleanup();
    });

    it("adds each (alert, sink, chunk) once and keeps the alert, across a reopen", async () => {
      const alert = alertOf("a-1", { fields: { load: 3.5 }, link: "https://example.test/a-1" });
      const two = [
        deliveryOf("a-1", "discord", 1, { chunks: 2 }),
        deliveryOf("a-1", "discord", 2, { chunks: 2 }),
      ];
      expect(await store.enqueue(alert, two)).toBe(2);
      expect(
        await store.enqueue(alertOf("a-1", { title: "changed" }), [...two, deliveryOf("a-1", "kakao")]),
      ).toBe(1);
      const again = await backend.reopen();
      expect(await again.alert("a-1")).toEqual(alert);
      expect(await again.alert("nope")).toBeUndefined();
      expect((await again.sinksOf("a-1")).sort()).toEqual(["discord", "kakao"]);
      const stats = await again.stats(["discord", "kakao", "file"]);
      expect(stats.sinks).toEqual({
        discord: { pending: 2, oldestCreatedAt: T0 },
        kakao: { pending: 1, oldestCreatedAt: T0 },
        file: { pending: 0, oldestCreatedAt: undefined },
      });
      expect(stats.dead).toBe(0);
    });

    it("stores a burst of alerts in one write, skipping what it already has", async () => {
      await store.enqueue(alertOf("b-0"), [deliveryOf("b-0", "discord")]);
      const added = await store.enqueueMany(
        [0, 1, 2].map((index) => ({
          alert: alertOf(`b-${index}`),
          deliveries: [deliveryOf(`b-${index}`, "discord")],
        })),
      );
      expect(added).toEqual([0, 1, 1]);
      expect((await (await backend.reopen()).stats(["discord"])).sinks.discord!.pending).toBe(3);
      expect(await store.alert("b-2")).toEqual(alertOf("b-2"));
    });

    it("claims due deliveries of one sink in order, leases them, and refuses a stale fence", async () => {
      await store.enqueue(alertOf("a"), [
        deliveryOf("a", "discord", 1, { chunks: 2 }),
        deliveryOf("a", "discord", 2, { chunks: 2 }),
      ]);
      await store.enqueue(alertOf("b"), [
        deliveryOf("b", "discord", 1, { createdAt: T0 + 1, dueAt: T0 + 1 }),
      ]);
      await store.enqueue(alertOf("later"), [deliveryOf("later", "discord", 1, { dueAt: T0 + 10_000 })]);
      await store.enqueue(alertOf("other"), [deliveryOf("other", "kakao")]);
      const first = await store.claim("discord", { consumer: "c1", max: 10, leaseMs: 1_000, now: T0 + 5 });
      expect(first.map((delivery) => delivery.id)).toEqual(["a/discord/1", "a/discord/2", "b/discord/1"]);
      expect(first[0]).toMatchObject({ failures: 0, failedOver: false, text: "chunk 1 of a", chunks: 2 });
      expect(await store.claim("discord", { consumer: "c1", max: 10, leaseMs: 1_000, now: T0 + 6 })).toEqual(
        [],
      );
      expect(await store.nextDueAt("discord")).toBe(T0 + 1_005);
      // The lease runs out (the holder died): another claim gets them with a higher fence.
      const again = await (await backend.reopen()).claim("discord", {
        consumer: "c2",
        max: 1,
        leaseMs: 1_000,
        now: T0 + 1_006,
      });
      expect(again.map((delivery) => delivery.id)).toEqual(["a/discord/1"]);
      expect(again[0]!.fence).toBeGreaterThan(first[0]!.fence);
      expect(
        await store.settle([{ id: "a/discord/1", fence: first[0]!.fence, outcome: { kind: "sent" } }], T0),
      ).toEqual([false]);
      expect(
        await store.settle([{ id: "a/discord/1", fence: again[0]!.fence, outcome: { kind: "sent" } }], T0),
      ).toEqual([true]);
      expect(
        await store.settle([{ id: "a/discord/1", fence: again[0]!.fence, outcome: { kind: "sent" } }], T0),
      ).toEqual([false]);
    });

    it("gives a restarted consumer its own claimed deliveries back at once, and no one else's", async () => {
      await store.enqueue(alertOf("x"), [deliveryOf("x", "discord"), deliveryOf("x", "kakao")]);
      await store.claim("discord", { consumer: "host-a", max: 5, leaseMs: 60_000, now: T0 });
      await store.claim("kakao", { consumer: "host-b", max: 5, leaseMs: 60_000, now: T0 });
      const restarted = await backend.reopen();
      expect(await restarted.releaseHeld("host-a", T0 + 10)).toBe(1);
      const mine = await restarted.claim("discord", {
        consumer: "host-a",
        max: 5,
        leaseMs: 60_000,
        now: T0 + 10,
      });
      expect(mine.map((delivery) => delivery.id)).toEqual(["x/discord/1"]);
      expect(
        await restarted.claim("kakao", { consumer: "host-a", max: 5, leaseMs: 60_000, now: T0 + 10 }),
      ).toEqual([]);
    });

    it("settles retries (counted), releases (not counted) and dead letters", async () => {
      await store.enqueue(alertOf("r"), [
        deliveryOf("r", "kakao"),
        deliveryOf("r", "kakao", 2),
        deliveryOf("r", "kakao", 3),
      ]);
      const [one, two, three] = await store.claim("kakao", {
        consumer: "c1",
        max: 3,
        leaseMs: 60_000,
        now: T0,
      });
      expect(
        await store.settle(
          [
            { id: one!.id, fence: one!.fence, outcome: { kind: "retry", dueAt: T0 + 500, error: "503" } },
            { id: two!.id, fence: two!.fence, outcome: { kind: "release", dueAt: T0 + 200 } },
            { id: three!.id, fence: three!.fence, outcome: { kind: "dead", error: "webhook deleted" } },
          ],
          T0 + 1,
        ),
      ).toEqual([true, true, true]);
      expect(await store.nextDueAt("kakao")).toBe(T0 + 200);
      const later = await store.claim("kakao", { consumer: "c1", max: 5, leaseMs: 60_000, now: T0 + 600 });
      expect(later.map((delivery) => [delivery.id, delivery.failures])).toEqual([
        ["r/kakao/2", 0],
        ["r/kakao/1", 1],
      ]);
      expect(later[1]!.lastError).toBe("503");
      const dead = await (await backend.reopen()).deadLetters();
      expect(dead).toEqual([
        {
          id: "r/kakao/3",
          alertId: "r",
          sink: "kakao",
          severity: "warning",
          title: "title r",
          failures: 1,
          error: "webhook deleted",
          at: T0 + 1,
        },
      ]);
      expect((await store.stats(["kakao"])).dead).toBe(1);
      expect((await store.stats(["kakao"])).sinks.kakao!.pending).toBe(2);
    });

    it("lists fallback candidates that are overdue or on a sink that is down, until marked", async () => {
      await store.enqueue(alertOf("old"), [deliveryOf("old", "discord", 1, { dueAt: T0 })]);
      await store.enqueue(alertOf("new"), [
        deliveryOf("new", "discord", 1, { dueAt: T0 + 10_000, createdAt: T0 + 10_000 }),
      ]);
      await store.enqueue(alertOf("held"), [deliveryOf("held", "kakao", 1, { dueAt: T0 + 10_000 })]);
      await store.enqueue(alertOf("crit"), [deliveryOf("crit", "discord", 1, { fallback: false })]);
      const ids = async (down: string[]) =>
        (await store.fallbackCandidates({ dueBefore: T0 + 1, down, limit: 10 })).map((d) => d.id).sort();
      expect(await ids([])).toEqual(["old/discord/1"]);
      expect(await ids(["kakao"])).toEqual(["held/kakao/1", "old/discord/1"]);
      await store.markFailedOver(["old/discord/1"]);
      expect(await ids(["kakao"])).toEqual(["held/kakao/1"]);
      const claimed = await store.claim("discord", { consumer: "c1", max: 5, leaseMs: 1_000, now: T0 + 1 });
      expect(claimed.find((delivery) => delivery.id === "old/discord/1")).toMatchObject({ failedOver: true });
    });

    it("keeps sink holds across a reopen until cleared", async () => {
      await store.setHold({ sink: "kakao", reason: "reauth", until: null, detail: "KOE322", since: T0 });
      await store.setHold({ sink: "quota", reason: "quota", until: T0 + 5, detail: "-532", since: T0 });
      const again = await backend.reopen();
      expect((await again.holds()).sort((a, b) => a.sink.localeCompare(b.sink))).toEqual([
        { sink: "kakao", reason: "reauth", until: null, detail: "KOE322", since: T0 },
        { sink: "quota", reason: "quota", until: T0 + 5, detail: "-532", since: T0 },
      ]);
      await again.clearHold("kakao");
      expect((await store.holds()).map((hold) => hold.sink)).toEqual(["quota"]);
    });

    it("keeps Kakao tokens together, and lets one holder at a time have the refresh lock", async () => {
      expect(await store.loadTokens("kakao")).toBeUndefined();
      const tokens = {
        accessToken: "A1",
        refreshToken: "R1",
        accessExpiresAt: T0 + 1,
        refreshExpiresAt: null,
        updatedAt: T0,
      };
      await store.saveTokens("kakao", tokens);
      await store.saveTokens("kakao", { ...tokens, accessToken: "A2", refreshExpiresAt: T0 + 9 });
      expect(await (await backend.reopen()).loadTokens("kakao")).toEqual({
        ...tokens,
        accessToken: "A2",
        refreshExpiresAt: T0 + 9,
      });
      const release = await store.acquireRefreshLock("kakao", 10_000, 0);
      expect(release).toBeTypeOf("function");
      const other = await backend.reopen();
      expect(await other.acquireRefreshLock("kakao", 10_000, 0)).toBeUndefined();
      const waiting = other.acquireRefreshLock("kakao", 10_000, 5_000);
      await release!();
      const second = await waiting;
      expect(second).toBeTypeOf("function");
      await second!();
    });

    it("prunes sent deliveries and their alerts, never pending ones", async () => {
      await store.enqueue(alertOf("done"), [deliveryOf("done", "file")]);
      await store.enqueue(alertOf("open"), [deliveryOf("open", "file")]);
      const [done] = await store.claim("file", { consumer: "c1", max: 1, leaseMs: 1_000, now: T0 });
      await store.settle([{ id: done!.id, fence: done!.fence, outcome: { kind: "sent" } }], T0);
      expect(await store.prune(T0 + 1)).toBe(1);
      expect(await store.alert("done")).toBeUndefined();
      expect(await store.alert("open")).toBeDefined();
      expect((await store.stats(["file"])).sinks.file!.pending).toBe(1);
    });
  });
};
