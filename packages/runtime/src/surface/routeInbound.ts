// Which task, if any, a message on a chat surface starts: channel-as-queue. A message in a channel
// mapped to an agent goes to that agent; "@agent …" at the start goes to that agent from any Troupe
// channel; a plain message in a general channel is routed by the team's rules (ending at the fallback,
// the orchestrator; a word naming an agent's capability, as in "what is the system load?", lets the
// capability rule route it). Bots, webhooks, unmapped channels and empty messages start nothing.
import { leadingMention } from "../task/mentions.ts";
import type { TaskInput } from "../task/Task.ts";
import type { InboundMessage } from "./Surface.ts";

/** Channel (by id or by name) → the agent it feeds, or null for a general channel. */
export type ChannelMap = ReadonlyMap<string, string | null>;

export type InboundRoute =
  | { readonly kind: "task"; readonly input: TaskInput }
  | { readonly kind: "ignore"; readonly why: "bot" | "thread" | "unmapped" | "empty" };

/**
 * The capability a text asks for: the first word that names a capability of some agent ("system
 * load?" needs "system"), so the capability rule can route it. Empty when none does.
 */
export const needsOf = (text: string, capabilities: ReadonlySet<string>): string[] => {
  for (const word of text.toLowerCase().split(/[^a-z0-9_-]+/)) {
    if (capabilities.has(word)) return [word];
  }
  return [];
};

export const routeInbound = (
  message: InboundMessage,
  channels: ChannelMap,
  agents: readonly string[],
  capabilities: ReadonlySet<string> = new Set(),
): InboundRoute => {
  if (message.fromBot) return { kind: "ignore", why: "bot" };
  if (message.threadId !== undefined) return { kind: "ignore", why: "thread" };
  const mapped = channels.has(message.channelId)
    ? channels.get(message.channelId)
    : message.channelName === undefined
      ? undefined
      : channels.get(message.channelName);
  if (mapped === undefined) return { kind: "ignore", why: "unmapped" };
  let text = message.content.trim();
  let agent = mapped ?? undefined;
  const mention = leadingMention(text);
  if (mention && agents.includes(mention.agent)) {
    agent = mention.agent;
    text = mention.rest.trim();
  }
  if (text === "") return { kind: "ignore", why: "empty" };
  const needs = agent === undefined ? needsOf(text, capabilities) : [];
  return {
    kind: "task",
    input: {
      text,
      ...(agent === undefined ? {} : { agent }),
      ...(needs.length === 0 ? {} : { needs }),
      channel: message.channelName ?? message.channelId,
      from: message.authorId,
    },
  };
};
