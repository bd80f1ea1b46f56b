// The behaviour every SnapshotStore adapter must show (memory, SQLite, Redis), as one suite each
// adapter's test runs against its own backend: a saved snapshot is loaded back as it was (by a
// reopened handle too: a restart), replaced by a later save, gone after a delete, and listed by a
// prefix taken literally. Drawn with fast-check: any key (unicode, colons, slashes, glob and LIKE
// characters, long) and any JSON value up to about a megabyte.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jsonValue, oddId, PROPERTY_RUNS, payloadText } from "../internal/storeArbitraries.ts";
import type { SnapshotStore } from "./SnapshotStore.ts";

export interface SnapshotBackend {
  readonly store: SnapshotStore;
  /** A second handle on the same backend, as a restarted process would open it. */
  reopen(): Promise<SnapshotStore>;
  cleanup(): Promise<void>;
}

const sorted = (keys: readonly string[]) => [...keys].sort();

export const describeSnapshotStoreContract = (name: string, open: () => Promise<SnapshotBackend>): void => {
  describe(`${name}: the SnapshotStore contract`, () => {
    let backend: SnapshotBackend;
    let store: SnapshotStore;
    beforeEach(async () => {
      backend = await open();
      store = backend.store;
    });
    afterEach(async () => {
      await backend.cleanup();
    });

    it("loads what was saved last, across a reopen, and nothing after a delete", async () => {
      await store.save("t-1", { value: "step-1", children: { a: { value: "x" } } });
      await store.save("t-1", { value: "step-2" });
      await store.save("t-2", { value: "other" });
      await store.delete("t-2");
      await store.delete("never-saved");
      const again = await backend.reopen();
      expect(await again.load("t-1")).toEqual({ value: "step-2" });
      expect(await again.load("t-2")).toBeUndefined();
      expect(await again.keys("")).toEqual(["t-1"]);
    });

    it("lists keys by a prefix taken literally, glob and LIKE characters included", async () => {
      for (const key of ["fanout/f-1", "fanout/f-2", "fan*out/x", "t-1", "100%", "a_b", "[x]"])
        await store.save(key, { key });
      expect(sorted(await store.keys("fanout/"))).toEqual(["fanout/f-1", "fanout/f-2"]);
      expect(await store.keys("fan*")).toEqual(["fan*out/x"]);
      expect(await store.keys("%")).toEqual([]);
      expect(await store.keys("100%")).toEqual(["100%"]);
      expect(await store.keys("a_")).toEqual(["a_b"]);
      expect(await store.keys("_")).toEqual([]);
      expect(await store.keys("[")).toEqual(["[x]"]);
      expect(await store.keys("?")).toEqual([]);
    });

    describe("for any key, snapshot and prefix", () => {
      /** Each run of a property on a backend of its own, so a failed run cannot mislead the next. */
      const onFreshStore = async (work: (backend: SnapshotBackend) => Promise<void>) => {
        const fresh = await open();
        try {
          await work(fresh);
        } finally {
          await fresh.cleanup();
        }
      };
      const snapshot = fc.oneof(jsonValue, fc.record({ value: payloadText, context: jsonValue }));

      it("loads any snapshot back as it was saved, under any key, after a reopen", async () => {
        await fc.assert(
          fc.asyncProperty(oddId, snapshot, (key, value) =>
            onFreshStore(async (fresh) => {
              await fresh.store.save(key, value);
              expect(await (await fresh.reopen()).load(key)).toEqual(value);
              expect(await fresh.store.keys(key)).toEqual([key]);
              await fresh.store.delete(key);
              expect(await fresh.store.load(key)).toBeUndefined();
            }),
          ),
          PROPERTY_RUNS,
        );
      });

      it("lists exactly the keys that start with any prefix", async () => {
        const keysAndPrefix = fc.uniqueArray(oddId, { minLength: 1, maxLength: 8 }).chain((keys) =>
          fc.tuple(
            fc.constant(keys),
            fc.oneof(
              // A prefix of one of the keys, cut between any two code points, or any id.
              fc
                .tuple(fc.constantFrom(...keys), fc.nat())
                .map(([key, cut]) => [...key].slice(0, cut % ([...key].length + 1)).join("")),
              oddId,
            ),
          ),
        );
        await fc.assert(
          fc.asyncProperty(keysAndPrefix, ([keys, prefix]) =>
            onFreshStore(async (fresh) => {
              for (const key of keys) await fresh.store.save(key, { key });
              expect(sorted(await fresh.store.keys(prefix))).toEqual(
                sorted(keys.filter((key) => key.startsWith(prefix))),
              );
            }),
          ),
          PROPERTY_RUNS,
        );
      });
    });
  });
};
