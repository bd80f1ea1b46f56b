// Channel-as-queue: mapped channels feed their agent, "@agent" picks one, general channels go to the
// team's rules, and bots, threads and other channels start nothing.
import { describe, expect, it } from "vitest";
import { needsOf, routeInbound } from "./routeInbound.ts";
import type { InboundMessage } from "./Surface.ts";

const channels = new Map<string, string | null>([
  ["research", "research"],
  ["general", null],
  ["42", "code"],
]);
const agents = ["research", "code", "echo"];
const message = (fields: Partial<InboundMessage>): InboundMessage => ({
  id: "m1",
  channelId: "1",
  channelName: "general",
  threadId: undefined,
  authorId: "u1",
  authorName: "ana",
  fromBot: false,
  content: "hello",
  ...fields,
});

describe("routeInbound", () => {
  it("sends a mapped channel's message to its agent", () => {
    expect(routeInbound(message({ channelName: "research", content: "why?" }), channels, agents)).toEqual({
      kind: "task",
      input: { text: "why?", agent: "research", channel: "research", from: "u1" },
    });
    expect(routeInbound(message({ channelId: "42", channelName: "x" }), channels, agents)).toMatchObject({
      input: { agent: "code" },
    });
  });

  it("leaves a general channel's plain message to the team's rules, and honours a mention", () => {
    expect(routeInbound(message({}), channels, agents)).toEqual({
      kind: "task",
      input: { text: "hello", channel: "general", from: "u1" },
    });
    expect(routeInbound(message({ content: "@code fix it" }), channels, agents)).toMatchObject({
      input: { text: "fix it", agent: "code" },
    });
    expect(routeInbound(message({ content: "@nobody hi" }), channels, agents)).toMatchObject({
      input: { text: "@nobody hi" },
    });
  });

  it("ignores bots, threads, other channels and empty messages", () => {
    expect(routeInbound(message({ fromBot: true }), channels, agents)).toEqual({
      kind: "ignore",
      why: "bot",
    });
    expect(routeInbound(message({ threadId: "9" }), channels, agents)).toEqual({
      kind: "ignore",
      why: "thread",
    });
    expect(routeInbound(message({ channelName: "random" }), channels, agents)).toEqual({
      kind: "ignore",
      why: "unmapped",
    });
    expect(routeInbound(message({ content: "@code  " }), channels, agents)).toEqual({
      kind: "ignore",
      why: "empty",
    });
  });

  it("names the capability a general channel's message asks for, so the capability rule routes it", () => {
    const capabilities = new Set(["system", "monitor"]);
    expect(
      routeInbound(message({ content: "what is the System load?" }), channels, agents, capabilities),
    ).toEqual({
      kind: "task",
      input: { text: "what is the System load?", needs: ["system"], channel: "general", from: "u1" },
    });
    expect(needsOf("monitor the system", capabilities)).toEqual(["monitor"]);
    expect(needsOf("nothing in particular", capabilities)).toEqual([]);
  });
});
