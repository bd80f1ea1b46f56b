// The port every chat surface implements (Discord today; Slack or Matrix would be others): threads,
// messages, reactions, per-agent identities (webhooks on Discord) and files. The bridge that drives
// it from the EventBus lives beside this file and never imports a chat library; each adapter keeps
// its library to itself (`@troupe/runtime/discord` for discord.js).

/** A message on the surface: the channel (or thread) it is in and its id. */
export interface SurfaceMessageRef {
  readonly channelId: string;
  readonly messageId: string;
}

/** Who a post appears to come from: an agent's name and avatar (a webhook on Discord). */
export interface SurfaceIdentity {
  readonly name: string;
  readonly avatarUrl?: string;
}

export interface SurfaceFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** A rich block under a message (an embed on Discord); `fitEmbeds` keeps a message's within the limits. */
export interface SurfaceEmbed {
  readonly title?: string;
  readonly description?: string;
  readonly fields?: readonly SurfaceEmbedField[];
  readonly footer?: { readonly text: string };
  readonly author?: { readonly name: string };
  /** 0xRRGGBB */
  readonly color?: number;
}

export interface SurfaceEmbedField {
  readonly name: string;
  readonly value: string;
  readonly inline?: boolean;
}

export interface SurfacePost {
  readonly content: string;
  readonly files?: readonly SurfaceFile[];
  readonly embeds?: readonly SurfaceEmbed[];
  /** Post under this identity; the surface's own (bot) identity when absent or when it cannot. */
  readonly identity?: SurfaceIdentity;
  /**
   * The only users and roles this post may notify. Nobody when absent: text written by a model can
   * never ping @everyone, a role or a person by accident.
   */
  readonly mentions?: { readonly users?: readonly string[]; readonly roles?: readonly string[] };
}

/** A message a person (or a bot) wrote on the surface, as the bridge needs it. */
export interface InboundMessage {
  readonly id: string;
  /** The channel it was written in (the parent channel when `threadId` is set). */
  readonly channelId: string;
  readonly channelName: string | undefined;
  /** Set when it was written inside a thread. */
  readonly threadId: string | undefined;
  readonly authorId: string;
  readonly authorName: string;
  /** Written by a bot or a webhook (Troupe's own included): never starts a task. */
  readonly fromBot: boolean;
  readonly content: string;
}

/** A channel's messages read back after a disconnection, as `messagesSince` gives them. */
export interface MissedMessages {
  /** Oldest first: the newest `limit` of those written after the cursor and within the window. */
  readonly messages: readonly InboundMessage[];
  /** How many older ones (after the cursor and within the window) `limit` left out. */
  readonly skipped: number;
}

/**
 * How the surface connected again after a drop: in a `new` session (what was written meanwhile was
 * never delivered) or a `resumed` one (the platform replays what was written meanwhile).
 */
export type SurfaceSession = "new" | "resumed";

/** A message already in a thread, as `history` and `pinned` give it. */
export interface SurfaceHistoryMessage {
  readonly id: string;
  readonly authorName: string;
  /** Written by a bot or a webhook (an agent's post, Troupe's own included). */
  readonly fromBot: boolean;
  readonly content: string;
}

/** A reaction someone added to a message (the surface's own included: `fromBot`). */
export interface InboundReaction {
  /** The channel or thread the message is in. */
  readonly channelId: string;
  readonly messageId: string;
  readonly emoji: string;
  readonly userId: string;
  readonly userName: string;
  readonly fromBot: boolean;
  /** The member's roles (ids, and names where the surface knows them). */
  readonly roles: readonly { readonly id: string; readonly name: string | undefined }[];
}

/** A command a person ran on the surface (a slash command on Discord), to be answered. */
export interface InboundCommand {
  readonly id: string;
  /** Without the slash: "ask", "status", … */
  readonly name: string;
  readonly options: Readonly<Record<string, string>>;
  readonly userId: string;
  readonly channelId: string;
  readonly channelName: string | undefined;
  /**
   * The command's own message, on surfaces where a command is written as a message (the console):
   * a task it starts is then shown there like a message's task (`SurfaceCommandsOptions.tasks`).
   */
  readonly message?: SurfaceMessageRef;
  /** Acknowledge now (Discord wants it within 3 s); the answer follows with `reply`. */
  defer(options?: { readonly ephemeral?: boolean }): Promise<void>;
  /**
   * Answer: the first reply fills the deferred answer (or answers at once), later ones follow it.
   * `ephemeral`: only the person who ran the command sees it (when not deferred, or deferred so).
   */
  reply(
    content: string,
    options?: {
      readonly ephemeral?: boolean;
      readonly files?: readonly SurfaceFile[];
      readonly embeds?: readonly SurfaceEmbed[];
    },
  ): Promise<void>;
}

export interface Surface {
  /** "discord", "console", … for logs. */
  readonly kind: string;
  /** Characters one message may hold (2,000 on Discord). */
  readonly maxMessageChars: number;
  /** A thread on a message, named `name` (at most 100 characters); resolves to the thread's id. */
  startThread(on: SurfaceMessageRef, name: string, signal?: AbortSignal): Promise<string>;
  /** Post in a channel or thread. */
  post(channelId: string, post: SurfacePost, signal?: AbortSignal): Promise<SurfaceMessageRef>;
  /** Add the surface's own reaction to a message. */
  react(on: SurfaceMessageRef, emoji: string, signal?: AbortSignal): Promise<void>;
  /** Remove the surface's own reaction from a message. */
  unreact(on: SurfaceMessageRef, emoji: string, signal?: AbortSignal): Promise<void>;
  /** Messages as they arrive (possibly more than once: the bridge deduplicates); returns unsubscribe. */
  onMessage(listener: (message: InboundMessage) => void): () => void;
  /** Reactions as they are added, on surfaces that have them; returns unsubscribe. */
  onReaction?(listener: (reaction: InboundReaction) => void): () => void;
  /** Role names or ids as role ids, for `mentions.roles` (unknown names are left out). */
  roleIds?(namesOrIds: readonly string[]): readonly string[];
  /**
   * A thread's recent messages, oldest first: at most `limit`, only those before the message `before`
   * when given; on surfaces that keep history.
   */
  history?(
    threadId: string,
    options: { readonly limit: number; readonly before?: string },
    signal?: AbortSignal,
  ): Promise<readonly SurfaceHistoryMessage[]>;
  /** A thread's pinned messages, the earliest pinned first, on surfaces that have pins. */
  pinned?(threadId: string, signal?: AbortSignal): Promise<readonly SurfaceHistoryMessage[]>;
  /** Channel names or ids as the ids of the channels they name (unknown ones are left out). */
  channelIds?(namesOrIds: readonly string[]): readonly string[];
  /**
   * A channel's messages written after the message `after` (when given) and not before `since` (ms
   * since the epoch): the newest `limit` of them, oldest first — to catch up on what was written while
   * the surface was not connected; on surfaces that keep history.
   */
  messagesSince?(
    channelId: string,
    options: { readonly after?: string; readonly since: number; readonly limit: number },
    signal?: AbortSignal,
  ): Promise<MissedMessages>;
  /** The surface connected again after a drop (not its first connection); returns unsubscribe. */
  onConnected?(listener: (session: SurfaceSession) => void): () => void;
  /** Commands as they arrive, on surfaces that have them; returns unsubscribe. */
  onCommand?(listener: (command: InboundCommand) => void): () => void;
  /** The surface's own reactions on a message now (to tidy stale status reactions after a restart). */
  ownReactions?(on: SurfaceMessageRef, signal?: AbortSignal): Promise<readonly string[]>;
  /**
   * The reactions `emoji` on a message now, each with who added it and their roles (to count the
   * reactions added while the host was down).
   */
  reactionsOn?(
    on: SurfaceMessageRef,
    emoji: string,
    signal?: AbortSignal,
  ): Promise<readonly InboundReaction[]>;
}
