// A Surface for tests of what drives one (the bridge, the slash commands, the human gateway, polls):
// it records the threads it starts, its posts and its own reactions, keeps every channel's and
// thread's messages for `history`, `pins` and `messagesSince`, and lets a test speak as people —
// messages (delivered, or only written while it is "not connected"), reactions, commands — and
// reconnect it. A test waits with `until(check)`, checked after every change, so nothing sleeps.
import type {
  InboundCommand,
  InboundMessage,
  InboundReaction,
  Surface,
  SurfaceEmbed,
  SurfaceFile,
  SurfaceHistoryMessage,
  SurfaceMessageRef,
  SurfacePost,
  SurfaceSession,
} from "../surface/Surface.ts";

export interface RecordedPost {
  readonly channelId: string;
  readonly post: SurfacePost;
  readonly messageId: string;
}

/** An answer to a command, as the person who ran it sees it. */
export interface CommandReply {
  readonly content: string;
  readonly ephemeral: boolean;
  readonly embeds: readonly SurfaceEmbed[];
  readonly files: readonly SurfaceFile[];
}

/** A command a test ran: whether it was deferred, and its answers so far. */
export interface RecordedCommand {
  deferred(): boolean;
  readonly replies: CommandReply[];
}

/** Someone's reaction, as a test writes it: roles by name (their ids are `id-<name>`). */
export interface ReactionBy {
  readonly messageId: string;
  readonly emoji: string;
  readonly userName: string;
  readonly roles?: readonly string[];
  readonly fromBot?: boolean;
  readonly channelId?: string;
}

export interface RecordingSurface {
  /** Every method of the port, optional ones included. */
  readonly surface: Surface &
    Required<
      Pick<
        Surface,
        | "onReaction"
        | "onCommand"
        | "roleIds"
        | "history"
        | "pinned"
        | "channelIds"
        | "messagesSince"
        | "onConnected"
      >
    >;
  /** Threads started, in order; a message's thread is `thread-<messageId>`. */
  readonly threads: { readonly on: SurfaceMessageRef; readonly name: string }[];
  /** Posts, in order; their ids are `p1`, `p2`, … */
  readonly posts: RecordedPost[];
  /** The surface's own reactions now, by message id. */
  readonly reactions: Map<string, Set<string>>;
  /** Every reaction the surface added, in order, as `<messageId> <emoji>`. */
  readonly reactionLog: string[];
  /** After every change of its own reactions: the message and the reactions it then showed. */
  readonly reactionStates: { readonly messageId: string; readonly shown: readonly string[] }[];
  /** `history` calls: the thread and the limit asked for. */
  readonly historyCalls: { readonly threadId: string; readonly limit: number }[];
  /** Resolves once `check()` holds. */
  until(check: () => boolean): Promise<void>;
  /** The posts in one channel or thread. */
  postsIn(channelId: string): RecordedPost[];
  /** A person (or a bot) writes; kept for `history` and delivered to the message listeners. */
  say(fields: Partial<InboundMessage> & { readonly content: string }): InboundMessage;
  /**
   * A person writes while the surface is not connected: kept (for `messagesSince`, as written at `at`,
   * default now) but never delivered.
   */
  write(fields: Partial<InboundMessage> & { readonly content: string }, at?: number): InboundMessage;
  /** Deliver a message written earlier (again), as a resume's replay or a flaky connection would. */
  deliver(message: InboundMessage): void;
  /** The surface connects again after a drop: told to the `onConnected` listeners. */
  reconnect(session: SurfaceSession): void;
  /** `messagesSince` calls: the channel and the options asked for. */
  readonly missedReads: { readonly channelId: string; readonly after?: string; readonly since: number }[];
  /** Someone reacts: delivered to the reaction listeners. */
  reactAs(reaction: ReactionBy): void;
  /** A person (u1, in #general) runs a command: delivered to the command listeners, answers recorded. */
  command(name: string, options?: Readonly<Record<string, string>>): RecordedCommand;
  /** Pin a message of a thread (a person's or a post). */
  pin(threadId: string, messageId: string): void;
  /** Message, reaction and command listeners subscribed now. */
  listening(): number;
}

export const recordingSurface = (): RecordingSurface => {
  const messageListeners = new Set<(message: InboundMessage) => void>();
  const reactionListeners = new Set<(reaction: InboundReaction) => void>();
  const commandListeners = new Set<(command: InboundCommand) => void>();
  const connectedListeners = new Set<(session: SurfaceSession) => void>();
  const logs = new Map<string, SurfaceHistoryMessage[]>();
  /** Channel id → its name (c1 is #general); more are learnt from the messages written. */
  const channels = new Map([["c1", "general"]]);
  /** People's messages in channels (not threads), in the order written, with when. */
  const written: { readonly message: InboundMessage; readonly at: number }[] = [];
  const pins = new Map<string, SurfaceHistoryMessage[]>();
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const wake of [...waiters]) wake();
  };
  const logOf = (channelId: string) => {
    const log = logs.get(channelId) ?? [];
    logs.set(channelId, log);
    return log;
  };
  const subscribe = <T>(listeners: Set<T>, listener: T) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };
  let said = 0;
  /** A message as written: kept for `history` (and `messagesSince` when in a channel). */
  const keep = (fields: Partial<InboundMessage> & { readonly content: string }, at: number) => {
    said += 1;
    const message: InboundMessage = {
      id: `m${said}`,
      channelId: "c1",
      channelName: "general",
      threadId: undefined,
      authorId: `u-${fields.authorName ?? "ana"}`,
      authorName: "ana",
      fromBot: false,
      ...fields,
    };
    logOf(message.threadId ?? message.channelId).push({
      id: message.id,
      authorName: message.authorName,
      fromBot: message.fromBot,
      content: message.content,
    });
    if (message.threadId === undefined) {
      written.push({ message, at });
      if (message.channelName !== undefined) channels.set(message.channelId, message.channelName);
    }
    return message;
  };
  const recorded: Omit<RecordingSurface, "surface"> = {
    threads: [],
    posts: [],
    reactions: new Map(),
    reactionLog: [],
    reactionStates: [],
    historyCalls: [],
    until: (check) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          if (!check()) return;
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        wake();
      }),
    postsIn: (channelId) => recorded.posts.filter((posted) => posted.channelId === channelId),
    say(fields) {
      const message = keep(fields, Date.now());
      recorded.deliver(message);
      return message;
    },
    write: (fields, at = Date.now()) => keep(fields, at),
    deliver(message) {
      for (const listener of [...messageListeners]) listener(message);
      changed();
    },
    reconnect(session) {
      for (const listener of [...connectedListeners]) listener(session);
    },
    missedReads: [],
    reactAs(reaction) {
      const inbound: InboundReaction = {
        channelId: reaction.channelId ?? "thread",
        messageId: reaction.messageId,
        emoji: reaction.emoji,
        userId: `u-${reaction.userName}`,
        userName: reaction.userName,
        fromBot: reaction.fromBot ?? false,
        roles: (reaction.roles ?? []).map((name) => ({ id: `id-${name}`, name })),
      };
      for (const listener of [...reactionListeners]) listener(inbound);
    },
    command(name, options = {}) {
      said += 1;
      let deferred = false;
      const replies: CommandReply[] = [];
      const command: InboundCommand = {
        id: `i${said}`,
        name,
        options,
        userId: "u1",
        channelId: "c1",
        channelName: "general",
        async defer() {
          deferred = true;
        },
        async reply(content, answer) {
          replies.push({
            content,
            ephemeral: answer?.ephemeral === true,
            embeds: answer?.embeds ?? [],
            files: answer?.files ?? [],
          });
          changed();
        },
      };
      for (const listener of [...commandListeners]) listener(command);
      return { deferred: () => deferred, replies };
    },
    pin(threadId, messageId) {
      const message = logOf(threadId).find((candidate) => candidate.id === messageId);
      if (!message) throw new Error(`no message ${messageId} in ${threadId}`);
      pins.set(threadId, [...(pins.get(threadId) ?? []), message]);
    },
    listening: () => messageListeners.size + reactionListeners.size + commandListeners.size,
  };
  const reacted = (on: SurfaceMessageRef) => {
    recorded.reactionStates.push({
      messageId: on.messageId,
      shown: [...(recorded.reactions.get(on.messageId) ?? [])],
    });
    changed();
  };
  const surface: RecordingSurface["surface"] = {
    kind: "test",
    maxMessageChars: 2_000,
    async startThread(on, name) {
      recorded.threads.push({ on, name });
      changed();
      return `thread-${on.messageId}`;
    },
    async post(channelId, post) {
      const messageId = `p${recorded.posts.length + 1}`;
      recorded.posts.push({ channelId, post, messageId });
      logOf(channelId).push({
        id: messageId,
        authorName: post.identity?.name ?? "troupe",
        fromBot: true,
        content: post.content,
      });
      changed();
      return { channelId, messageId };
    },
    async react(on, emoji) {
      recorded.reactions.set(on.messageId, (recorded.reactions.get(on.messageId) ?? new Set()).add(emoji));
      recorded.reactionLog.push(`${on.messageId} ${emoji}`);
      reacted(on);
    },
    async unreact(on, emoji) {
      recorded.reactions.get(on.messageId)?.delete(emoji);
      reacted(on);
    },
    onMessage: (listener) => subscribe(messageListeners, listener),
    onReaction: (listener) => subscribe(reactionListeners, listener),
    onCommand: (listener) => subscribe(commandListeners, listener),
    roleIds: (names) => names.map((name) => `id-${name}`),
    async history(threadId, { limit, before }) {
      recorded.historyCalls.push({ threadId, limit });
      const log = logOf(threadId);
      const at = before === undefined ? -1 : log.findIndex((message) => message.id === before);
      const end = at < 0 ? log.length : at;
      return log.slice(Math.max(0, end - limit), end);
    },
    pinned: async (threadId) => pins.get(threadId) ?? [],
    channelIds: (namesOrIds) =>
      [...channels]
        .filter(([id, name]) => namesOrIds.includes(id) || namesOrIds.includes(name))
        .map(([id]) => id),
    async messagesSince(channelId, { after, since, limit }) {
      recorded.missedReads.push({ channelId, ...(after === undefined ? {} : { after }), since });
      const inChannel = written.filter((entry) => entry.message.channelId === channelId);
      const from = after === undefined ? 0 : inChannel.findIndex((entry) => entry.message.id === after) + 1;
      const found = inChannel.slice(from).filter((entry) => entry.at >= since);
      const kept = found.slice(Math.max(0, found.length - limit));
      return { messages: kept.map((entry) => entry.message), skipped: found.length - kept.length };
    },
    onConnected: (listener) => subscribe(connectedListeners, listener),
  };
  return { surface, ...recorded };
};
