// The bot-channel sink over the Surface port: a post is a delivery; a refusal with a 4xx status (or
// a channel the surface does not know) is permanent; anything else is tried again.
import { describe, expect, it } from "vitest";
import { TroupeError } from "../../errors/TroupeError.ts";
import type { Surface, SurfacePost } from "../../surface/Surface.ts";
import { createSurfaceSink } from "./surfaceSink.ts";

const surfaceThat = (post: (channelId: string, body: SurfacePost) => Promise<void>): Surface => ({
  kind: "discord",
  maxMessageChars: 2_000,
  startThread: async () => "thread",
  post: async (channelId, body) => {
    await post(channelId, body);
    return { channelId, messageId: "m-1" };
  },
  react: async () => {},
  unreact: async () => {},
  onMessage: () => () => {},
});

const message = {
  id: "a/discord-channel/1",
  alertId: "a",
  severity: "warning" as const,
  title: "t",
  text: "⚠️ **t**",
  chunk: 1,
  chunks: 1,
};

describe("createSurfaceSink", () => {
  it("posts in the configured channel as the given identity", async () => {
    const posts: [string, SurfacePost][] = [];
    const sink = createSurfaceSink({
      surface: surfaceThat(async (channelId, body) => void posts.push([channelId, body])),
      channelId: "alerts",
      identity: { name: "troupe alerts" },
    });
    expect(sink.format).toEqual({ maxLength: 2_000, style: "markdown" });
    expect(await sink.send(message, AbortSignal.timeout(1_000))).toEqual({ kind: "ok" });
    expect(posts).toEqual([["alerts", { content: "⚠️ **t**", identity: { name: "troupe alerts" } }]]);
  });

  it("reads a 403 or an unknown channel as permanent, and a 500 or a network error as worth retrying", async () => {
    const failing = (error: unknown) =>
      createSurfaceSink({ surface: surfaceThat(async () => Promise.reject(error)), channelId: "alerts" });
    const signal = AbortSignal.timeout(1_000);
    expect(
      await failing(Object.assign(new Error("Missing Access"), { status: 403 })).send(message, signal),
    ).toMatchObject({
      kind: "permanent",
    });
    expect(
      await failing(new TroupeError("SurfaceRefused", "discord: no channel alerts")).send(message, signal),
    ).toMatchObject({
      kind: "permanent",
    });
    expect(
      await failing(new TroupeError("SurfaceUnavailable", "discord: could not connect")).send(
        message,
        signal,
      ),
    ).toMatchObject({ kind: "retry" });
    expect(
      await failing(Object.assign(new Error("Internal"), { status: 500 })).send(message, signal),
    ).toMatchObject({ kind: "retry" });
    expect(await failing(new Error("socket hang up")).send(message, signal)).toMatchObject({ kind: "retry" });
  });
});
