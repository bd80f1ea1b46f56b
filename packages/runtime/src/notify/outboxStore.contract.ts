// The behaviour every OutboxStore adapter must show (memory, SQLite, Redis), as one suite each
// adapter's test runs against its own backend: idempotent enqueue, claims per sink with leases and
// fences, settling (sent, retry, release, dead letter), fallback candidates, holds, Kakao tokens
// and the refresh lock — and that all of it is still there for a reopened handle (a restart). Drawn
// with fast-check: any alert id, sink name, text size, time and delay (fractions, zero, huge), and
// any number of failures, kept as given with times in whole milliseconds rounded up.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  farDelayMs,
  oddId,
  oddName,
  PROPERTY_RUNS,
  payloadText,
  shortDelayMs,
} from "../internal/storeArbitraries.ts";
import { MAX_EPOCH_MS } from "../time/wholeMillis.ts";
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

    describe("for any alert id, sink, text, time, delay and number of failures", () => {
      /** Each run of a property on a backend of its own, so a failed run cannot mislead the next. */
      const onFreshStore = async (work: (store: ContractStore) => Promise<void>) => {
        const fresh = await open();
        try {
          await work(fresh.store);
        } finally {
          await fresh.cleanup();
        }
      };
      const whole = (ms: number) => Math.min(MAX_EPOCH_MS, Math.ceil(ms));
      /** Part of a millisecond, as a clock with sub-millisecond readings or a jittered backoff gives. */
      const fraction = fc.integer({ min: 0, max: 999 }).map((micros) => micros / 1_000);
      const delay = fc.oneof({ weight: 3, arbitrary: shortDelayMs }, { weight: 1, arbitrary: farDelayMs });

      it("keeps any alert and its deliveries, and tells an alert's sinks from those of an alert named after it", async () => {
        await fc.assert(
          fc.asyncProperty(
            oddId,
            fc.uniqueArray(oddName, { minLength: 1, maxLength: 2 }),
            payloadText,
            fc.integer({ min: 1, max: 2 }),
            fraction,
            (alertId, sinks, text, chunks, late) =>
              onFreshStore(async (store) => {
                const alert = alertOf(alertId, { text });
                const deliveries = sinks.flatMap((sink) =>
                  Array.from({ length: chunks }, (_, index) =>
                    deliveryOf(alertId, sink, index + 1, {
                      chunks,
                      text: `${text}#${index + 1}`,
                      dueAt: T0 + late,
                      createdAt: T0 + late,
                    }),
                  ),
                );
                expect(await store.enqueue(alert, deliveries)).toBe(deliveries.length);
                // An alert whose id starts with this one's and a slash, on a sink of its own.
                const sibling = `${alertId}/${sinks[0]}`;
                const elsewhere = `${sinks.join("")}-elsewhere`;
                await store.enqueue(alertOf(sibling), [deliveryOf(sibling, elsewhere)]);
                expect(await store.alert(alertId)).toEqual(alert);
                expect((await store.sinksOf(alertId)).sort()).toEqual([...sinks].sort());
                expect(await store.sinksOf(sibling)).toEqual([elsewhere]);
                const down = await store.fallbackCandidates({
                  dueBefore: T0 - 1,
                  down: [sinks[0]!],
                  limit: 100,
                });
                expect(down.map((delivery) => delivery.id).sort()).toEqual(
                  deliveries
                    .filter((d) => d.sink === sinks[0])
                    .map((d) => d.id)
                    .sort(),
                );
                const dueAt = whole(T0 + late);
                for (const sink of sinks) {
                  const claim = { consumer: "c1", max: 10, leaseMs: 1_000, now: dueAt };
                  if (late > 0) expect(await store.claim(sink, { ...claim, now: T0 })).toEqual([]);
                  const claimed = await store.claim(sink, claim);
                  expect(claimed).toEqual(
                    deliveries
                      .filter((d) => d.sink === sink)
                      .map((d) => ({
                        ...d,
                        dueAt,
                        createdAt: dueAt,
                        failures: 0,
                        fence: expect.any(Number),
                        failedOver: false,
                      })),
                  );
                }
              }),
          ),
          PROPERTY_RUNS,
        );
      });

      it("sends a retried or released delivery again from its due time, rounded up, counting failures only", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.record({ kind: fc.constantFrom("retry", "release"), delayMs: delay }), {
              minLength: 1,
              maxLength: 4,
            }),
            fraction,
            fc.oneof(fc.constant(1_000), fc.double({ min: 1, max: 60_000, noNaN: true })),
            (steps, late, leaseMs) =>
              onFreshStore(async (store) => {
                await store.enqueue(alertOf("r"), [deliveryOf("r", "kakao")]);
                let now = T0 + late;
                let [delivery] = await store.claim("kakao", { consumer: "c1", max: 1, leaseMs, now });
                expect(await store.nextDueAt("kakao")).toBe(whole(whole(now) + whole(leaseMs)));
                let failures = 0;
                for (const [index, { kind, delayMs }] of steps.entries()) {
                  const error = `failure ${index + 1}`;
                  const outcome =
                    kind === "retry"
                      ? { kind, dueAt: now + delayMs, error }
                      : ({ kind, dueAt: now + delayMs } as const);
                  expect(
                    await store.settle([{ id: delivery!.id, fence: delivery!.fence, outcome }], now),
                  ).toEqual([true]);
                  if (kind === "retry") failures += 1;
                  const dueAt = whole(now + delayMs);
                  expect(await store.nextDueAt("kakao")).toBe(dueAt);
                  if (dueAt > whole(now))
                    expect(
                      await store.claim("kakao", { consumer: "c1", max: 1, leaseMs, now: dueAt - 1 }),
                    ).toEqual([]);
                  [delivery] = await store.claim("kakao", { consumer: "c1", max: 1, leaseMs, now: dueAt });
                  expect(delivery).toMatchObject({ id: "r/kakao/1", failures });
                  now = dueAt;
                }
                const dead = { kind: "dead", error: "gave up" } as const;
                expect(
                  await store.settle([{ id: delivery!.id, fence: delivery!.fence, outcome: dead }], now),
                ).toEqual([true]);
                expect(await store.deadLetters()).toEqual([
                  expect.objectContaining({ id: "r/kakao/1", failures: failures + 1, error: "gave up" }),
                ]);
                expect((await store.stats(["kakao"])).sinks.kakao!.pending).toBe(0);
              }),
          ),
          PROPERTY_RUNS,
        );
      });

      it("holds the refresh lock for any time to live, fractions and huge ones included", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(fc.double({ min: 10_000, max: 1e6, noNaN: true }), farDelayMs),
            oddName,
            (ttlMs, sink) =>
              onFreshStore(async (store) => {
                const release = await store.acquireRefreshLock(sink, ttlMs, 0);
                expect(release).toBeTypeOf("function");
                expect(await store.acquireRefreshLock(sink, ttlMs, 0)).toBeUndefined();
                await release!();
                const again = await store.acquireRefreshLock(sink, ttlMs, 0);
                expect(again).toBeTypeOf("function");
                await again!();
              }),
          ),
          PROPERTY_RUNS,
        );
      });

      it("refuses a time that is not a finite number with a RangeError", async () => {
        await expect(
          store.enqueue(alertOf("nan"), [deliveryOf("nan", "file", 1, { dueAt: Number.NaN })]),
        ).rejects.toThrow(RangeError);
        await store.enqueue(alertOf("ok"), [deliveryOf("ok", "file")]);
        const [delivery] = await store.claim("file", { consumer: "c1", max: 1, leaseMs: 1_000, now: T0 });
        const retry = { kind: "retry", dueAt: Number.POSITIVE_INFINITY, error: "x" } as const;
        await expect(
          store.settle([{ id: delivery!.id, fence: delivery!.fence, outcome: retry }], T0),
        ).rejects.toThrow(RangeError);
      });
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
