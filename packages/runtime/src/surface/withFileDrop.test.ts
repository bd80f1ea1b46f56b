// The file-drop fallback over a fake surface that goes down on demand: transparent while it answers,
// a 4xx thrown as before, a 5xx or network error spools the call (and every later one) as whole files
// in call order, the probe replays them once the surface is back (posts into a spooled thread land in
// the real thread), a refused operation goes to rejected/, leftovers of an earlier run go first.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SimulatedClock } from "xstate";
import { isTroupeError } from "../errors/TroupeError.ts";
import { isTransientSurfaceError } from "./isTransientSurfaceError.ts";
import type { InboundMessage, Surface, SurfaceMessageRef } from "./Surface.ts";
import { type FileDropSurface, withFileDrop } from "./withFileDrop.ts";

const failure = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });
const networkDown = () => Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });

/** A surface that records what reached it, and fails while `down` (or `refuse` matches). */
const fakeSurface = () => {
  let ids = 0;
  const listeners = new Set<(message: InboundMessage) => void>();
  const fake = {
    down: undefined as (() => Error) | undefined,
    refuse: undefined as ((call: string) => boolean) | undefined,
    calls: [] as string[],
    deliver(message: InboundMessage) {
      for (const listener of listeners) listener(message);
    },
    surface: undefined as unknown as Surface,
  };
  const call = async <T>(what: string, result: () => T): Promise<T> => {
    if (fake.down) throw fake.down();
    if (fake.refuse?.(what)) throw failure(404);
    fake.calls.push(what);
    return result();
  };
  const ref = (on: SurfaceMessageRef) => `${on.channelId}/${on.messageId}`;
  fake.surface = {
    kind: "fake",
    maxMessageChars: 2_000,
    startThread: (on, name) => call(`thread ${ref(on)} ${name}`, () => `T${++ids}`),
    post: (channelId, post) =>
      call(`post ${channelId} ${post.content}${post.files ? ` +${post.files.length} file` : ""}`, () => ({
        channelId,
        messageId: `M${++ids}`,
      })),
    react: (on, emoji) => call(`react ${ref(on)} ${emoji}`, () => undefined),
    unreact: (on, emoji) => call(`unreact ${ref(on)} ${emoji}`, () => undefined),
    history: (threadId, options) =>
      call(`history ${threadId}${options.before ? ` before ${options.before}` : ""}`, () => [
        { id: "h1", authorName: "ana", fromBot: false, content: "earlier" },
      ]),
    pinned: (threadId) => call(`pinned ${threadId}`, () => []),
    onMessage: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return fake;
};

let dir: string;
let wrapped: FileDropSurface | undefined;
/** The probe's clock: it retries only when a test moves time on. */
let clock: SimulatedClock;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "troupe-spool-"));
  clock = new SimulatedClock();
});
afterEach(async () => {
  await wrapped?.close();
  wrapped = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const open = async (surface: Surface, options: { maxFiles?: number } = {}) => {
  wrapped = await withFileDrop(surface, { dir, clock, probe: { baseMs: 100, maxMs: 1_000 }, ...options });
  return wrapped;
};
/** The surface answers again, and the probe's wait is over. */
const backUp = (fake: ReturnType<typeof fakeSurface>) => {
  fake.down = undefined;
  clock.increment(1_000);
};
const spooled = () => readdirSync(dir).filter((name) => name.endsWith(".json"));
const message = { channelId: "C1", messageId: "m1" };

describe("withFileDrop", () => {
  it("is transparent while the surface answers, and throws a 4xx as before without spooling", async () => {
    const fake = fakeSurface();
    const surface = await open(fake.surface);
    expect(await surface.startThread(message, "work")).toBe("T1");
    expect(await surface.post("T1", { content: "hi" })).toEqual({ channelId: "T1", messageId: "M2" });
    fake.refuse = (call) => call.startsWith("react");
    await expect(surface.react(message, "✅")).rejects.toMatchObject({ status: 404 });
    expect(fake.calls).toEqual(["thread C1/m1 work", "post T1 hi"]);
    expect(spooled()).toEqual([]);
    expect(surface.spooling).toBe(false);
  });

  it("spools every call in order once one fails transiently, and replays them in order when it is back", async () => {
    const fake = fakeSurface();
    const surface = await open(fake.surface);
    fake.down = () => failure(503);
    const thread = await surface.startThread(message, "work");
    expect(thread).toMatch(/^spooled-/);
    await surface.react(message, "📥");
    const posted = await surface.post(thread, {
      content: "first",
      files: [{ name: "a.txt", data: new Uint8Array([104, 105]) }],
    });
    await surface.post(thread, { content: "second" });
    expect(surface.spooling).toBe(true);
    expect(spooled()).toEqual([
      "000000000001-startThread.json",
      "000000000002-react.json",
      "000000000003-post.json",
      "000000000004-post.json",
    ]);
    const stored = JSON.parse(readFileSync(join(dir, "000000000003-post.json"), "utf8"));
    expect(stored.operation.post.files).toEqual([
      { name: "a.txt", base64: Buffer.from("hi").toString("base64") },
    ]);

    fake.down = undefined;
    // Spooled behind the others even though the surface would answer now.
    await surface.react(posted, "👍");
    backUp(fake);
    await surface.drained();
    expect(fake.calls).toEqual([
      "thread C1/m1 work",
      "react C1/m1 📥",
      "post T1 first +1 file",
      "post T1 second",
      "react T1/M2 👍",
    ]);
    expect(spooled()).toEqual([]);
    expect(surface.spooling).toBe(false);
    expect(surface.stats()).toMatchObject({ spooled: 5, replayed: 5, rejected: 0, pending: 0 });

    // After the replay the placeholders still work, both ways.
    await surface.post(thread, { content: "after" });
    expect(fake.calls.at(-1)).toBe("post T1 after");
    const seen: InboundMessage[] = [];
    surface.onMessage((inbound) => seen.push(inbound));
    fake.deliver({
      id: "x",
      channelId: "C1",
      channelName: "work",
      threadId: "T1",
      authorId: "u",
      authorName: "ana",
      fromBot: false,
      content: "answer",
    });
    expect(seen[0]).toMatchObject({ channelId: "C1", threadId: thread });
  });

  it("passes reads to the surface on the real ids, and reads nothing of what is only spooled yet", async () => {
    const fake = fakeSurface();
    const surface = await open(fake.surface);
    fake.down = () => failure(503);
    const thread = await surface.startThread(message, "work");
    const posted = await surface.post(thread, { content: "first" });
    expect(await surface.history!(thread, { limit: 10 })).toEqual([]);
    expect(await surface.pinned!(thread)).toEqual([]);
    backUp(fake);
    await surface.drained();
    expect(await surface.history!(thread, { limit: 10, before: posted.messageId })).toEqual([
      { id: "h1", authorName: "ana", fromBot: false, content: "earlier" },
    ]);
    expect(await surface.pinned!(thread)).toEqual([]);
    expect(fake.calls.slice(-2)).toEqual(["history T1 before M2", "pinned T1"]);
  });

  it("takes network errors as transient too", async () => {
    const fake = fakeSurface();
    const surface = await open(fake.surface);
    fake.down = networkDown;
    await surface.post("C1", { content: "hello" });
    expect(spooled()).toEqual(["000000000001-post.json"]);
    backUp(fake);
    await surface.drained();
    expect(fake.calls).toEqual(["post C1 hello"]);
  });

  it("moves an operation the surface refuses for good to rejected/ and carries on with the rest", async () => {
    const fake = fakeSurface();
    const surface = await open(fake.surface);
    fake.down = () => failure(502);
    const thread = await surface.startThread(message, "work");
    await surface.post(thread, { content: "into the thread" });
    await surface.react({ channelId: "C1", messageId: "gone" }, "✅");
    await surface.react(message, "✅");
    fake.refuse = (call) => call.startsWith("thread") || call.includes("/gone ");
    backUp(fake);
    await surface.drained();
    // The thread was refused: its post goes to the channel, as the bridge does without a thread.
    expect(fake.calls).toEqual(["post C1 into the thread", "react C1/m1 ✅"]);
    expect(readdirSync(join(dir, "rejected")).sort()).toEqual([
      "000000000001-startThread.json",
      "000000000003-react.json",
    ]);
    const rejected = JSON.parse(readFileSync(join(dir, "rejected", "000000000003-react.json"), "utf8"));
    expect(rejected.reason).toBe("HTTP 404");
    expect(surface.stats()).toMatchObject({ replayed: 2, rejected: 2, pending: 0 });
  });

  it("replays what an earlier run left before anything new, and removes half-written files", async () => {
    const fake = fakeSurface();
    fake.down = () => failure(503);
    const first = await open(fake.surface);
    const thread = await first.startThread(message, "work");
    await first.post(thread, { content: "left over" });
    await first.close();
    writeFileSync(join(dir, "000000000003-post.json.123.tmp"), '{"seq":3,"operation":{"op":"po');

    fake.down = undefined;
    const second = await open(fake.surface);
    expect(existsSync(join(dir, "000000000003-post.json.123.tmp"))).toBe(false);
    expect(second.spooling).toBe(true);
    await second.post("C1", { content: "new" });
    await second.drained();
    expect(fake.calls).toEqual(["thread C1/m1 work", "post T1 left over", "post C1 new"]);
    expect(spooled()).toEqual([]);
  });

  it("sends only the latest status reaction of a message: a spooled reaction removed again cancels out", async () => {
    const fake = fakeSurface();
    const surface = await open(fake.surface);
    fake.down = () => failure(500);
    await surface.react(message, "📥");
    for (const [from, to] of [
      ["📥", "👀"],
      ["👀", "⚙️"],
      ["⚙️", "✅"],
    ] as const) {
      await surface.unreact(message, from);
      await surface.react(message, to);
    }
    expect(spooled()).toEqual(["000000000004-react.json"]);
    backUp(fake);
    await surface.drained();
    expect(fake.calls).toEqual(["react C1/m1 ✅"]);
    expect(surface.stats()).toMatchObject({ spooled: 4, coalesced: 3, replayed: 1 });
  });

  it("refuses a folder it cannot use when it opens, naming it", async () => {
    const notAFolder = join(dir, "file");
    writeFileSync(notAFolder, "");
    const refused = await withFileDrop(fakeSurface().surface, { dir: notAFolder }).catch(
      (error: unknown) => error,
    );
    expect(isTroupeError(refused, "FolderUnusable")).toBe(true);
    expect((refused as Error).message).toContain(`the file-drop folder ${notAFolder} cannot be used`);
  });

  it("refuses calls beyond maxFiles with SurfaceUnavailable, and keeps what it has", async () => {
    const fake = fakeSurface();
    const surface = await open(fake.surface, { maxFiles: 2 });
    fake.down = () => failure(503);
    await surface.post("C1", { content: "one" });
    await surface.post("C1", { content: "two" });
    const refused = await surface.post("C1", { content: "three" }).catch((error: unknown) => error);
    expect(isTroupeError(refused, "SurfaceUnavailable")).toBe(true);
    expect(surface.stats()).toMatchObject({ spooled: 2, dropped: 1, pending: 2 });
    backUp(fake);
    await surface.drained();
    expect(fake.calls).toEqual(["post C1 one", "post C1 two"]);
  });
});

describe("isTransientSurfaceError", () => {
  it("takes 5xx, 429, timeouts and network errors as transient; 4xx and Troupe's own errors not", () => {
    expect(isTransientSurfaceError(failure(503))).toBe(true);
    expect(isTransientSurfaceError(failure(429))).toBe(true);
    expect(isTransientSurfaceError(Object.assign(new Error("aborted"), { name: "AbortError" }))).toBe(true);
    expect(isTransientSurfaceError(networkDown())).toBe(true);
    expect(
      isTransientSurfaceError(Object.assign(new Error("Missing Access"), { status: 403, code: 50001 })),
    ).toBe(false);
    expect(isTransientSurfaceError(failure(404))).toBe(false);
    expect(isTransientSurfaceError(new Error("cannot post"))).toBe(false);
  });
});
