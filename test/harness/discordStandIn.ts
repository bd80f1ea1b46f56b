// Test support: a Discord-compatible stand-in, driven by the real discord.js through DISCORD_API_URL.
// REST v10 (the routes Troupe uses: gateway info, channels, messages with attachments, threads, own
// reactions, people's reactions and members' roles read back, webhooks, interaction callbacks,
// follow-ups and application commands; embeds checked against Discord's limits; a channel's messages
// paged with `before` or `after`, and its pins, which a person adds with `pin`) with rate-limit
// headers on every answer, published per-bucket limits, 429s on demand, a request held until released
// on demand (`holdNext`) and 503s while it is "down";
// a JSON gateway over WebSocket (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats and ACKs,
// dispatches with sequence numbers, RESUME with replay, or op 9 Invalid Session when the session was
// dropped for good, after which the client identifies anew and what was written meanwhile is only in
// the channel's history). Everything the client did is kept as events a test waits for, instead
// of sleeping. It listens on 127.0.0.1 only.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { embedLimitBroken } from "./discordEmbedLimits.ts";

export interface StandInUser {
  readonly id: string;
  readonly username: string;
  readonly bot?: boolean;
}

export interface StandInMessage {
  readonly id: string;
  readonly channelId: string;
  readonly author: StandInUser;
  readonly webhookId: string | undefined;
  readonly content: string;
  readonly files: readonly { readonly name: string; readonly data: Buffer }[];
  /** Embeds as the client sent them (within Discord's limits, or the message was refused). */
  readonly embeds?: readonly Record<string, unknown>[];
  /** allowed_mentions as the client sent it (undefined when it sent none). */
  readonly allowedMentions: unknown;
  /** The bot's own reactions on it now. */
  readonly reactions: Set<string>;
}

export interface StandInThread {
  readonly id: string;
  readonly parentId: string;
  readonly name: string;
  readonly autoArchiveDuration: number;
}

export interface StandInWebhook {
  readonly id: string;
  readonly token: string;
  readonly channelId: string;
  readonly name: string;
}

/** What happened on the stand-in, in order. */
export type StandInEvent =
  | {
      readonly kind: "rest";
      readonly method: string;
      readonly path: string;
      readonly route: string;
      readonly status: number;
      readonly at: number;
    }
  | { readonly kind: "message"; readonly message: StandInMessage }
  | { readonly kind: "thread"; readonly thread: StandInThread }
  | { readonly kind: "webhook"; readonly webhook: StandInWebhook }
  | {
      readonly kind: "reaction";
      readonly op: "add" | "remove";
      readonly messageId: string;
      readonly emoji: string;
      /** The bot's reactions on the message after the change. */
      readonly shown: readonly string[];
    }
  | {
      readonly kind: "gateway";
      readonly op: "identify" | "resume" | "ready" | "resumed" | "invalid-session" | "closed";
      /** The gateway session (one per IDENTIFY); undefined for a connection closed before it had one. */
      readonly session: string | undefined;
    }
  | { readonly kind: "interaction-callback"; readonly interactionId: string; readonly body: unknown }
  /** A request `holdNext` matched arrived: it waits, unanswered, until released. */
  | { readonly kind: "held"; readonly method: string; readonly path: string }
  | {
      readonly kind: "followup";
      readonly interactionId: string;
      readonly op: "edit-original" | "followup";
      readonly body: Record<string, unknown>;
    };

export interface RateLimitRule {
  /** Requests per window in one bucket (route and major parameter). */
  readonly limit: number;
  readonly windowMs: number;
}

export interface DiscordStandInOptions {
  /** Text channels of the guild, by name. */
  readonly channels?: readonly string[];
  /** Published limit of every bucket (default 50 per second). */
  readonly rateLimit?: RateLimitRule;
  /**
   * The limit of the bot's own reactions, as Discord has it: adding and removing one share a single
   * bucket per channel (default 1 per 250 ms).
   */
  readonly reactionRateLimit?: RateLimitRule;
  /** Roles of the guild besides @everyone, by name (members get them in `react`). */
  readonly roles?: readonly string[];
  /** Gateway heartbeat interval (default 41,250ms, as Discord). */
  readonly heartbeatMs?: number;
}

export interface DiscordStandIn {
  /** The REST base to give discord.js (its `rest.api` option, i.e. DISCORD_API_URL). */
  readonly apiUrl: string;
  readonly token: string;
  readonly applicationId: string;
  readonly guildId: string;
  readonly bot: StandInUser;
  readonly events: readonly StandInEvent[];
  readonly messages: ReadonlyMap<string, StandInMessage>;
  readonly threads: ReadonlyMap<string, StandInThread>;
  readonly webhooks: ReadonlyMap<string, StandInWebhook>;
  readonly stats: {
    /** 429s the client earned by ignoring the published limits. */
    unforced429: number;
    /** Requests made in a bucket before the retry-after of a 429 had passed. */
    earlyRetries: number;
    forced429: number;
  };
  channelId(name: string): string;
  /** The id of a role given in the options. */
  roleId(name: string): string;
  /**
   * A member with these roles (by name) adds a reaction: kept on the message (GET reactions lists it,
   * GET member gives the roles) and dispatched as MESSAGE_REACTION_ADD.
   */
  react(messageId: string, emoji: string, user: StandInUser, roles?: readonly string[]): void;
  /** A person (or a bot) writes in a channel or thread: stored, and dispatched as MESSAGE_CREATE. */
  say(where: string, content: string, author?: StandInUser): StandInMessage;
  /** A person pins a message (in a channel or thread), as Discord's pin menu would. */
  pin(messageId: string): void;
  /** A person runs a slash command: dispatched as INTERACTION_CREATE; resolves to the interaction's id. */
  interact(where: string, name: string, options?: Record<string, string>, user?: StandInUser): string;
  /** Application commands registered (key "global" or "guild:<id>"). */
  readonly commands: ReadonlyMap<string, readonly { readonly name: string }[]>;
  /** Dispatch a message's MESSAGE_CREATE again (as a flaky gateway would). */
  redeliver(messageId: string): void;
  /** The next `count` requests matching get a 429 with this retry-after. */
  rateLimitNext(match: { method?: string; path: RegExp }, retryAfterMs: number, count?: number): void;
  /**
   * The next request matching is held, unanswered, until `release()` (its arrival is a `held` event):
   * to make one host's call wait for what another does.
   */
  holdNext(match: { method?: string; path: RegExp }): { release(): void };
  /**
   * Close the gateway connections with a resumable close code. The client resumes: its session is
   * kept, and what was dispatched meanwhile is replayed — unless `session: "lost"`: then its RESUME
   * is answered with op 9 Invalid Session (not resumable), it identifies anew, and what was written
   * meanwhile was never dispatched to it.
   */
  dropGateway(code?: number, options?: { readonly session?: "kept" | "lost" }): void;
  /** While down, every REST request is answered 503 (the gateway stays up); false brings it back. */
  restDown(down: boolean): void;
  /** The first event (already seen or to come) matching, within `deadlineMs` (default 10s). */
  waitFor<E extends StandInEvent>(
    match: (event: StandInEvent) => event is E,
    what: string,
    deadlineMs?: number,
  ): Promise<E>;
  waitFor(match: (event: StandInEvent) => boolean, what: string, deadlineMs?: number): Promise<StandInEvent>;
  /** The thread started on a message (already or within the deadline). */
  threadOn(messageId: string): Promise<StandInThread>;
  /** The bot's `emoji` reaction added to a message (already or within the deadline). */
  reactionAdded(messageId: string, emoji: string): Promise<Extract<StandInEvent, { kind: "reaction" }>>;
  /** The settings that point a `troupe start` host here: DISCORD_TOKEN, DISCORD_API_URL, the ids. */
  hostEnv(): Record<string, string>;
  /** REST calls seen so far, optionally only those whose route matches. */
  restCalls(route?: RegExp): Extract<StandInEvent, { kind: "rest" }>[];
  close(): Promise<void>;
}

const EPOCH = 1_420_070_400_000n;
let increment = 0n;
const snowflake = () => {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - EPOCH) << 22n) | (1n << 17n) | increment).toString();
};

const userJson = (user: StandInUser) => ({
  id: user.id,
  username: user.username,
  discriminator: "0",
  global_name: null,
  avatar: null,
  bot: user.bot ?? false,
  flags: 0,
});

class HttpError extends Error {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The route's shape with ids replaced, as Discord buckets it; the major parameter kept apart. */
const routeOf = (path: string): { route: string; major: string } => {
  const parts = path.split("/").filter(Boolean);
  let major = "global";
  const shaped = parts.map((part, index) => {
    if (/^\d{5,}$/.test(part)) {
      const before = parts[index - 1];
      if ((before === "channels" || before === "guilds" || before === "webhooks") && major === "global")
        major = part;
      return before === "channels" || before === "guilds" || before === "webhooks" ? part : ":id";
    }
    if (parts[index - 1] === "reactions") return ":emoji";
    if (parts[index - 2] === "webhooks" || parts[index - 2] === "interactions") return ":token";
    return part;
  });
  return { route: `/${shaped.join("/")}`, major };
};

export const startDiscordStandIn = async (options: DiscordStandInOptions = {}): Promise<DiscordStandIn> => {
  const token = `${Buffer.from(snowflake()).toString("base64url")}.${randomBytes(4).toString("base64url")}.${randomBytes(20).toString("base64url")}`;
  const applicationId = snowflake();
  const bot: StandInUser = { id: applicationId, username: "troupe", bot: true };
  const guildId = snowflake();
  const roles = new Map((options.roles ?? []).map((name) => [name, snowflake()] as const));
  const defaultRule = options.rateLimit ?? { limit: 50, windowMs: 1_000 };
  const reactionRule = options.reactionRateLimit ?? { limit: 1, windowMs: 250 };
  /** Own reactions (PUT and DELETE …/reactions/:emoji/@me) share one bucket per channel, as on Discord. */
  const isOwnReaction = (route: string) => /\/reactions\/:emoji\/@me$/.test(route);
  const heartbeatMs = options.heartbeatMs ?? 41_250;
  const channels = new Map<string, { id: string; name: string }>();
  for (const name of options.channels ?? ["general"]) {
    const id = snowflake();
    channels.set(id, { id, name });
  }
  const messages = new Map<string, StandInMessage>();
  const threads = new Map<string, StandInThread>();
  /** Channel or thread id → its pins, the earliest first. */
  const pins = new Map<string, { readonly messageId: string; readonly at: string }[]>();
  const webhooks = new Map<string, StandInWebhook>();
  const commands = new Map<string, { name: string }[]>();
  /** People's reactions: message id → emoji → who. */
  const peoplesReactions = new Map<string, Map<string, Map<string, StandInUser>>>();
  /** Members who reacted, with their role ids. */
  const members = new Map<string, { user: StandInUser; roles: string[] }>();
  /** Interactions by token: their id and channel. */
  const interactions = new Map<string, { id: string; channelId: string }>();
  const events: StandInEvent[] = [];
  const waiters = new Set<() => void>();
  const stats = { unforced429: 0, earlyRetries: 0, forced429: 0 };
  const buckets = new Map<string, { remaining: number; resetAt: number; blockedUntil: number }>();
  const forced: { method?: string; path: RegExp; retryAfterMs: number; count: number }[] = [];
  let restIsDown = false;
  const holds: { method?: string; path: RegExp; released: Promise<void> }[] = [];

  const record = (event: StandInEvent) => {
    events.push(event);
    for (const wake of waiters) wake();
  };

  // ── the gateway ─────────────────────────────────────────────────────────
  interface Session {
    readonly id: string;
    seq: number;
    readonly sent: { s: number; t: string; d: unknown }[];
    socket: WebSocket | undefined;
  }
  const sessions = new Map<string, Session>();
  const send = (socket: WebSocket, payload: unknown) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
  };
  const dispatch = (t: string, d: unknown) => {
    for (const session of sessions.values()) {
      session.seq += 1;
      const event = { s: session.seq, t, d };
      session.sent.push(event);
      if (session.sent.length > 1_000) session.sent.shift();
      if (session.socket) send(session.socket, { op: 0, ...event });
    }
  };

  const channelJson = (channel: { id: string; name: string }, position: number) => ({
    id: channel.id,
    type: 0,
    guild_id: guildId,
    name: channel.name,
    position,
    permission_overwrites: [],
    parent_id: null,
    topic: null,
    nsfw: false,
    last_message_id: null,
    rate_limit_per_user: 0,
    default_auto_archive_duration: 1440,
    flags: 0,
  });
  const threadJson = (thread: StandInThread) => ({
    id: thread.id,
    type: 11,
    guild_id: guildId,
    parent_id: thread.parentId,
    owner_id: bot.id,
    name: thread.name,
    last_message_id: null,
    message_count: 0,
    member_count: 1,
    rate_limit_per_user: 0,
    flags: 0,
    total_message_sent: 0,
    thread_metadata: {
      archived: false,
      auto_archive_duration: thread.autoArchiveDuration,
      archive_timestamp: new Date().toISOString(),
      locked: false,
      create_timestamp: new Date().toISOString(),
    },
  });
  const guildJson = () => ({
    id: guildId,
    name: "Troupe stand-in",
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: "1000000000000000001",
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    nsfw_level: 0,
    premium_tier: 0,
    premium_progress_bar_enabled: false,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    vanity_url_code: null,
    preferred_locale: "en-US",
    features: [],
    application_id: null,
    max_members: 500_000,
    roles: [
      {
        id: guildId,
        name: "@everyone",
        permissions: "1071698660929",
        position: 0,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      },
      ...[...roles].map(([name, id], index) => ({
        id,
        name,
        permissions: "0",
        position: index + 1,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: true,
        flags: 0,
      })),
    ],
    emojis: [],
    stickers: [],
    joined_at: new Date().toISOString(),
    large: false,
    unavailable: false,
    member_count: 2,
    members: [
      {
        user: userJson(bot),
        roles: [],
        joined_at: new Date().toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
      },
    ],
    channels: [...channels.values()].map(channelJson),
    threads: [...threads.values()].map(threadJson),
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
  });

  const httpServer = createServer((request, response) => {
    void handle(request, response);
  });
  const wss = new WebSocketServer({ server: httpServer, path: "/gateway" });
  wss.on("connection", (socket) => {
    let session: Session | undefined;
    send(socket, { op: 10, d: { heartbeat_interval: heartbeatMs }, s: null, t: null });
    socket.on("message", (raw) => {
      let payload: { op: number; d: Record<string, unknown> | null };
      try {
        payload = JSON.parse(String(raw)) as typeof payload;
      } catch {
        socket.close(4002, "Error while decoding payload.");
        return;
      }
      if (payload.op === 1) return send(socket, { op: 11 });
      if (payload.op === 2) {
        if (payload.d?.token !== token) return socket.close(4004, "Authentication failed.");
        session = { id: randomBytes(16).toString("hex"), seq: 0, sent: [], socket };
        sessions.set(session.id, session);
        record({ kind: "gateway", op: "identify", session: session.id });
        const url = `ws://127.0.0.1:${port}/gateway`;
        dispatch("READY", {
          v: 10,
          user_settings: {},
          user: userJson(bot),
          guilds: [{ id: guildId, unavailable: true }],
          session_id: session.id,
          resume_gateway_url: url,
          session_type: "normal",
          shard: [0, 1],
          application: { id: applicationId, flags: 0 },
          private_channels: [],
          relationships: [],
          presences: [],
          geo_ordered_rtc_regions: [],
          guild_join_requests: [],
        });
        record({ kind: "gateway", op: "ready", session: session.id });
        dispatch("GUILD_CREATE", guildJson());
        return;
      }
      if (payload.op === 6) {
        const resumed = sessions.get(String(payload.d?.session_id));
        if (payload.d?.token !== token || !resumed) {
          record({ kind: "gateway", op: "invalid-session", session: String(payload.d?.session_id) });
          return send(socket, { op: 9, d: false });
        }
        record({ kind: "gateway", op: "resume", session: resumed.id });
        session = resumed;
        resumed.socket = socket;
        const seq = Number(payload.d?.seq ?? 0);
        for (const event of resumed.sent) if (event.s > seq) send(socket, { op: 0, ...event });
        dispatch("RESUMED", {});
        record({ kind: "gateway", op: "resumed", session: resumed.id });
      }
    });
    socket.on("close", () => {
      if (session && session.socket === socket) session.socket = undefined;
      record({ kind: "gateway", op: "closed", session: session?.id });
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const port = (httpServer.address() as AddressInfo).port;
  const apiUrl = `http://127.0.0.1:${port}/api`;

  // ── REST ─────────────────────────────────────────────────────────────────
  const findChannel = (id: string) => {
    const channel = channels.get(id);
    if (channel) return { kind: "channel" as const, channel };
    const thread = threads.get(id);
    if (thread) return { kind: "thread" as const, thread };
    throw new HttpError(404, 10003, "Unknown Channel");
  };
  const messageJson = (message: StandInMessage) => {
    const thread = threads.get(message.channelId);
    return {
      id: message.id,
      type: 0,
      channel_id: message.channelId,
      guild_id: guildId,
      author: userJson(message.author),
      ...(message.webhookId ? { webhook_id: message.webhookId } : {}),
      ...(message.webhookId
        ? {}
        : { member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 } }),
      content: message.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: message.files.map((file, index) => ({
        id: `${message.id}${index}`,
        filename: file.name,
        size: file.data.length,
        url: `http://127.0.0.1:${port}/attachments/${message.id}/${file.name}`,
        proxy_url: `http://127.0.0.1:${port}/attachments/${message.id}/${file.name}`,
      })),
      embeds: message.embeds ?? [],
      pinned: pins.get(message.channelId)?.some((pin) => pin.messageId === message.id) ?? false,
      flags: 0,
      ...(thread ? { position: 0 } : {}),
    };
  };
  /** Who reacted with `emoji` on a message: the bot (its own reaction) and people. */
  const reactorsOf = (message: StandInMessage, emoji: string): StandInUser[] => [
    ...(message.reactions.has(emoji) ? [bot] : []),
    ...(peoplesReactions.get(message.id)?.get(emoji)?.values() ?? []),
  ];
  const reactionsJson = (message: StandInMessage) =>
    [...new Set([...message.reactions, ...(peoplesReactions.get(message.id)?.keys() ?? [])])].map(
      (emoji) => ({
        emoji: { id: null, name: emoji },
        count: reactorsOf(message, emoji).length,
        count_details: { burst: 0, normal: reactorsOf(message, emoji).length },
        me: message.reactions.has(emoji),
        me_burst: false,
        burst_colors: [],
      }),
    );
  const createMessage = (
    channelId: string,
    body: Record<string, unknown>,
    files: { name: string; data: Buffer }[],
    author: StandInUser,
    webhookId?: string,
  ) => {
    const content = typeof body.content === "string" ? body.content : "";
    if (content.length > 2_000)
      throw new HttpError(400, 50035, "Invalid Form Body: content longer than 2000");
    const embedProblem = embedLimitBroken(body.embeds);
    if (embedProblem) throw new HttpError(400, 50035, `Invalid Form Body: ${embedProblem}`);
    const embeds = (body.embeds as Record<string, unknown>[] | undefined) ?? [];
    if (content === "" && files.length === 0 && embeds.length === 0)
      throw new HttpError(400, 50006, "Cannot send an empty message");
    const message: StandInMessage = {
      id: snowflake(),
      channelId,
      author,
      webhookId,
      content,
      files,
      ...(embeds.length > 0 ? { embeds } : {}),
      allowedMentions: body.allowed_mentions,
      reactions: new Set(),
    };
    messages.set(message.id, message);
    record({ kind: "message", message });
    dispatch("MESSAGE_CREATE", messageJson(message));
    return messageJson(message);
  };

  const readBody = async (
    request: IncomingMessage,
  ): Promise<{ json: Record<string, unknown>; files: { name: string; data: Buffer }[] }> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const type = request.headers["content-type"] ?? "";
    if (type.startsWith("multipart/form-data")) {
      const form = await new Request("http://stand-in/", {
        method: "POST",
        headers: { "content-type": type },
        body: raw,
      }).formData();
      const files: { name: string; data: Buffer }[] = [];
      let json: Record<string, unknown> = {};
      for (const [key, value] of form.entries()) {
        if (key === "payload_json") json = JSON.parse(String(value)) as Record<string, unknown>;
        else if (typeof value !== "string")
          files.push({ name: value.name, data: Buffer.from(await value.arrayBuffer()) });
      }
      return { json, files };
    }
    return {
      json: raw.length ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : {},
      files: [],
    };
  };

  const rest = async (
    method: string,
    parts: string[],
    url: URL,
    request: IncomingMessage,
  ): Promise<{ status: number; body?: unknown }> => {
    const [first, second, third, fourth, fifth, sixth] = parts;
    const authorized = request.headers.authorization === `Bot ${token}`;
    const needsAuth = !(first === "webhooks" || first === "interactions");
    if (needsAuth && !authorized) throw new HttpError(401, 0, "401: Unauthorized");
    if (first === "gateway" && method === "GET") {
      const url = `ws://127.0.0.1:${port}/gateway`;
      return second === "bot"
        ? {
            status: 200,
            body: {
              url,
              shards: 1,
              session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
            },
          }
        : { status: 200, body: { url } };
    }
    if (first === "users" && second === "@me") return { status: 200, body: userJson(bot) };
    if (first === "applications" && second === "@me")
      return { status: 200, body: { id: applicationId, name: "troupe", bot_public: false, flags: 0 } };
    if (first === "applications" && second === applicationId && third !== undefined) {
      const key = fourth === "guilds" || third === "guilds" ? `guild:${fourth ?? ""}` : "global";
      if (method === "PUT") {
        const { json } = await readBodyArray(request);
        const registered = (json as { name: string }[]).map((command) => ({
          ...command,
          id: snowflake(),
          application_id: applicationId,
          version: snowflake(),
        }));
        commands.set(key, registered);
        return { status: 200, body: registered };
      }
      if (method === "GET") return { status: 200, body: commands.get(key) ?? [] };
    }
    if (first === "guilds" && second === guildId && third === "members" && fourth !== undefined) {
      const member = members.get(fourth);
      if (!member || method !== "GET") throw new HttpError(404, 10007, "Unknown Member");
      return {
        status: 200,
        body: {
          user: userJson(member.user),
          roles: member.roles,
          joined_at: new Date().toISOString(),
          deaf: false,
          mute: false,
          flags: 0,
        },
      };
    }
    if (first === "channels" && second !== undefined) {
      const target = findChannel(second);
      if (third === undefined && method === "GET")
        return {
          status: 200,
          body: target.kind === "thread" ? threadJson(target.thread) : channelJson(target.channel, 0),
        };
      if (third === "messages" && fourth === undefined && method === "POST") {
        const { json, files } = await readBody(request);
        return { status: 200, body: createMessage(second, json, files, bot) };
      }
      if (third === "messages" && fourth === undefined && method === "GET") {
        // As Discord: at most `limit` (1..100, default 50), newest first — the newest of those before
        // `before`, or the oldest of those after `after` (the ones right after it), or the newest.
        const limit = Math.min(100, Math.max(1, Number(url.searchParams.get("limit") ?? 50)));
        const before = url.searchParams.get("before");
        const after = url.searchParams.get("after");
        const inChannel = [...messages.values()]
          .filter(
            (message) =>
              message.channelId === second &&
              (before === null || BigInt(message.id) < BigInt(before)) &&
              (after === null || BigInt(message.id) > BigInt(after)),
          )
          .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
        const found = after === null ? inChannel.slice(-limit) : inChannel.slice(0, limit);
        return { status: 200, body: found.toReversed().map(messageJson) };
      }
      if (third === "messages" && fourth === "pins" && fifth === undefined && method === "GET") {
        const pinned = (pins.get(second) ?? []).toReversed();
        return {
          status: 200,
          body: {
            items: pinned.flatMap((pin) => {
              const message = messages.get(pin.messageId);
              return message ? [{ pinned_at: pin.at, message: messageJson(message) }] : [];
            }),
            has_more: false,
          },
        };
      }
      if (third === "messages" && fourth !== undefined) {
        const message = messages.get(fourth);
        if (!message || message.channelId !== second) throw new HttpError(404, 10008, "Unknown Message");
        if (fifth === undefined && method === "GET")
          return { status: 200, body: { ...messageJson(message), reactions: reactionsJson(message) } };
        if (fifth === "reactions" && sixth !== undefined && parts[6] === undefined && method === "GET")
          return { status: 200, body: reactorsOf(message, decodeURIComponent(sixth)).map(userJson) };
        if (fifth === "threads" && method === "POST") {
          if (target.kind !== "channel")
            throw new HttpError(400, 50024, "Cannot execute action on this channel type");
          if (threads.has(fourth))
            throw new HttpError(400, 160004, "A thread has already been created for this message");
          const { json } = await readBody(request);
          const name = String(json.name ?? "");
          if (name.length < 1 || name.length > 100)
            throw new HttpError(400, 50035, "Invalid Form Body: name");
          const thread: StandInThread = {
            id: fourth,
            parentId: second,
            name,
            autoArchiveDuration: Number(json.auto_archive_duration ?? 1440),
          };
          threads.set(thread.id, thread);
          record({ kind: "thread", thread });
          dispatch("THREAD_CREATE", { ...threadJson(thread), newly_created: true });
          return { status: 201, body: threadJson(thread) };
        }
        if (fifth === "reactions" && sixth !== undefined && parts[6] === "@me") {
          const emoji = decodeURIComponent(sixth);
          if (method === "PUT") message.reactions.add(emoji);
          else if (method === "DELETE") message.reactions.delete(emoji);
          else throw new HttpError(405, 0, "405: Method Not Allowed");
          record({
            kind: "reaction",
            op: method === "PUT" ? "add" : "remove",
            messageId: message.id,
            emoji,
            shown: [...message.reactions],
          });
          const reaction = {
            user_id: bot.id,
            channel_id: second,
            message_id: message.id,
            guild_id: guildId,
            emoji: { id: null, name: emoji },
            burst: false,
            type: 0,
          };
          dispatch(method === "PUT" ? "MESSAGE_REACTION_ADD" : "MESSAGE_REACTION_REMOVE", reaction);
          return { status: 204 };
        }
      }
      if (third === "webhooks") {
        if (target.kind !== "channel")
          throw new HttpError(400, 50024, "Cannot execute action on this channel type");
        const hookJson = (hook: StandInWebhook) => ({
          id: hook.id,
          type: 1,
          guild_id: guildId,
          channel_id: hook.channelId,
          name: hook.name,
          avatar: null,
          token: hook.token,
          application_id: applicationId,
          user: userJson(bot),
        });
        if (method === "GET")
          return {
            status: 200,
            body: [...webhooks.values()].filter((hook) => hook.channelId === second).map(hookJson),
          };
        if (method === "POST") {
          const { json } = await readBody(request);
          const hook: StandInWebhook = {
            id: snowflake(),
            token: randomBytes(24).toString("base64url"),
            channelId: second,
            name: String(json.name ?? ""),
          };
          webhooks.set(hook.id, hook);
          record({ kind: "webhook", webhook: hook });
          return { status: 200, body: hookJson(hook) };
        }
      }
    }
    if (first === "webhooks" && second !== undefined && third !== undefined && method === "POST") {
      if (second === applicationId) {
        // An interaction's follow-up.
        const interaction = interactions.get(third);
        if (!interaction) throw new HttpError(404, 10015, "Unknown Webhook");
        const { json, files } = await readBody(request);
        record({ kind: "followup", interactionId: interaction.id, op: "followup", body: json });
        return { status: 200, body: createMessage(interaction.channelId, json, files, bot) };
      }
      const hook = webhooks.get(second);
      if (!hook || hook.token !== third) throw new HttpError(404, 10015, "Unknown Webhook");
      const { json, files } = await readBody(request);
      const threadId = url.searchParams.get("thread_id");
      if (threadId && threads.get(threadId)?.parentId !== hook.channelId)
        throw new HttpError(400, 10003, "Unknown Channel");
      const author: StandInUser = { id: hook.id, username: String(json.username ?? hook.name), bot: true };
      return { status: 200, body: createMessage(threadId ?? hook.channelId, json, files, author, hook.id) };
    }
    if (first === "webhooks" && second === applicationId && method === "PATCH") {
      const interaction = interactions.get(third ?? "");
      if (!interaction) throw new HttpError(404, 10015, "Unknown Webhook");
      const { json, files } = await readBody(request);
      record({ kind: "followup", interactionId: interaction.id, op: "edit-original", body: json });
      return { status: 200, body: createMessage(interaction.channelId, json, files, bot) };
    }
    if (first === "interactions" && second !== undefined && fourth === "callback" && method === "POST") {
      if (interactions.get(third ?? "")?.id !== second)
        throw new HttpError(404, 10062, "Unknown interaction");
      const { json } = await readBody(request);
      const embedProblem = embedLimitBroken((json.data as { embeds?: unknown } | undefined)?.embeds);
      if (embedProblem) throw new HttpError(400, 50035, `Invalid Form Body: ${embedProblem}`);
      record({ kind: "interaction-callback", interactionId: second, body: json });
      return { status: 204 };
    }
    throw new HttpError(404, 0, `404: Not Found (${method} /${parts.join("/")})`);
  };
  const readBodyArray = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return { json: JSON.parse(Buffer.concat(chunks).toString("utf8") || "[]") as unknown };
  };

  const rateHeaders = (route: string, remaining: number, resetAt: number, now: number) => ({
    "x-ratelimit-limit": String((isOwnReaction(route) ? reactionRule : defaultRule).limit),
    "x-ratelimit-remaining": String(Math.max(0, remaining)),
    "x-ratelimit-reset": (resetAt / 1000).toFixed(3),
    "x-ratelimit-reset-after": (Math.max(0, resetAt - now) / 1000).toFixed(3),
    // As Discord: one hash per route shape, shared by every major parameter (channel, webhook).
    "x-ratelimit-bucket": createHash("sha1")
      .update(route.replace(/\d{5,}/g, ":major"))
      .digest("hex")
      .slice(0, 16),
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? "GET";
    const url = new URL(request.url ?? "/", `http://127.0.0.1:${port}`);
    const answer = (status: number, body: unknown, headers: Record<string, string>, route: string) => {
      record({ kind: "rest", method, path: url.pathname, route, status, at: Date.now() });
      response.writeHead(status, {
        ...headers,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!url.pathname.startsWith("/api/v10/")) {
      request.resume();
      return answer(404, { message: "404: Not Found", code: 0 }, {}, url.pathname);
    }
    const holdIndex = holds.findIndex(
      (hold) => (hold.method === undefined || hold.method === method) && hold.path.test(url.pathname),
    );
    if (holdIndex >= 0) {
      const [hold] = holds.splice(holdIndex, 1);
      record({ kind: "held", method, path: url.pathname });
      await hold!.released;
    }
    const parts = url.pathname.slice("/api/v10/".length).split("/").filter(Boolean);
    const { route, major } = routeOf(`/${parts.join("/")}`);
    if (restIsDown) {
      request.resume();
      return answer(503, { message: "503: Service Unavailable", code: 0 }, {}, route);
    }
    const shared = isOwnReaction(route);
    const rule = shared ? reactionRule : defaultRule;
    const key = `${shared ? "REACTION" : method} ${route} ${major}`;
    const now = Date.now();
    let bucket = buckets.get(key);
    if (!bucket || bucket.resetAt <= now) {
      bucket = {
        remaining: rule.limit,
        resetAt: now + rule.windowMs,
        blockedUntil: bucket?.blockedUntil ?? 0,
      };
      buckets.set(key, bucket);
    }
    const tooMany = (retryAfterMs: number, message: string) => {
      request.resume();
      bucket!.blockedUntil = Math.max(bucket!.blockedUntil, now + retryAfterMs);
      answer(
        429,
        { message, retry_after: retryAfterMs / 1000, global: false, code: 0 },
        {
          ...rateHeaders(route, 0, now + retryAfterMs, now),
          "retry-after": (retryAfterMs / 1000).toFixed(3),
          "x-ratelimit-scope": "user",
        },
        route,
      );
    };
    if (now < bucket.blockedUntil) {
      stats.earlyRetries += 1;
      return tooMany(bucket.blockedUntil - now, "You are being rate limited (retried too early).");
    }
    const forcedIndex = forced.findIndex(
      (rule) => (rule.method === undefined || rule.method === method) && rule.path.test(url.pathname),
    );
    if (forcedIndex >= 0) {
      const rule = forced[forcedIndex]!;
      rule.count -= 1;
      if (rule.count <= 0) forced.splice(forcedIndex, 1);
      stats.forced429 += 1;
      return tooMany(rule.retryAfterMs, "You are being rate limited.");
    }
    if (bucket.remaining <= 0) {
      stats.unforced429 += 1;
      return tooMany(bucket.resetAt - now, "You are being rate limited.");
    }
    bucket.remaining -= 1;
    const headers = rateHeaders(route, bucket.remaining, bucket.resetAt, now);
    try {
      const result = await rest(method, parts, url, request);
      answer(result.status, result.body, headers, route);
    } catch (error) {
      request.resume();
      const status = error instanceof HttpError ? error.status : 500;
      const code = error instanceof HttpError ? error.code : 0;
      answer(
        status,
        { message: error instanceof Error ? error.message : String(error), code },
        headers,
        route,
      );
    }
  };

  const channelId = (name: string) => {
    for (const channel of channels.values())
      if (channel.name === name || channel.id === name) return channel.id;
    if (threads.has(name)) return name;
    throw new Error(`the stand-in has no channel "${name}"`);
  };

  const standIn: DiscordStandIn = {
    apiUrl,
    token,
    applicationId,
    guildId,
    bot,
    events,
    messages,
    threads,
    webhooks,
    stats,
    channelId,
    roleId(name) {
      const id = roles.get(name);
      if (id === undefined) throw new Error(`no role ${name}`);
      return id;
    },
    react(messageId, emoji, user, roleNames = []) {
      const message = messages.get(messageId);
      if (!message) throw new Error(`no message ${messageId}`);
      const roleIds = roleNames.map((name) => standIn.roleId(name));
      members.set(user.id, { user, roles: roleIds });
      const byEmoji = peoplesReactions.get(messageId) ?? new Map<string, Map<string, StandInUser>>();
      peoplesReactions.set(messageId, byEmoji);
      const who = byEmoji.get(emoji) ?? new Map<string, StandInUser>();
      byEmoji.set(emoji, who.set(user.id, user));
      dispatch("MESSAGE_REACTION_ADD", {
        user_id: user.id,
        channel_id: message.channelId,
        message_id: message.id,
        guild_id: guildId,
        member: {
          user: userJson(user),
          roles: roleIds,
          joined_at: new Date().toISOString(),
          deaf: false,
          mute: false,
          flags: 0,
        },
        emoji: { id: null, name: emoji },
        burst: false,
        type: 0,
      });
    },
    say(where, content, author = { id: "2000000000000000001", username: "ana" }) {
      const message: StandInMessage = {
        id: snowflake(),
        channelId: channelId(where),
        author,
        webhookId: undefined,
        content,
        files: [],
        allowedMentions: undefined,
        reactions: new Set(),
      };
      messages.set(message.id, message);
      record({ kind: "message", message });
      dispatch("MESSAGE_CREATE", messageJson(message));
      return message;
    },
    pin(messageId) {
      const message = messages.get(messageId);
      if (!message) throw new Error(`no message ${messageId}`);
      const at = new Date().toISOString();
      pins.set(message.channelId, [...(pins.get(message.channelId) ?? []), { messageId, at }]);
      dispatch("CHANNEL_PINS_UPDATE", {
        guild_id: guildId,
        channel_id: message.channelId,
        last_pin_timestamp: at,
      });
    },
    commands,
    interact(where, name, options = {}, user = { id: "2000000000000000001", username: "ana" }) {
      const id = snowflake();
      const interactionToken = randomBytes(24).toString("base64url");
      const channel = channelId(where);
      interactions.set(interactionToken, { id, channelId: channel });
      dispatch("INTERACTION_CREATE", {
        id,
        application_id: applicationId,
        type: 2,
        token: interactionToken,
        version: 1,
        guild_id: guildId,
        channel_id: channel,
        channel: { ...channelJson(channels.get(channel) ?? { id: channel, name: where }, 0) },
        member: {
          user: userJson(user),
          roles: [],
          permissions: "1071698660929",
          joined_at: new Date().toISOString(),
          deaf: false,
          mute: false,
          flags: 0,
        },
        app_permissions: "1071698660929",
        locale: "en-US",
        guild_locale: "en-US",
        entitlements: [],
        authorizing_integration_owners: { "0": guildId },
        context: 0,
        data: {
          id: snowflake(),
          name,
          type: 1,
          options: Object.entries(options).map(([option, value]) => ({ name: option, type: 3, value })),
        },
      });
      return id;
    },
    redeliver(messageId) {
      const message = messages.get(messageId);
      if (!message) throw new Error(`no message ${messageId}`);
      dispatch("MESSAGE_CREATE", messageJson(message));
    },
    rateLimitNext(match, retryAfterMs, count = 1) {
      forced.push({ ...match, retryAfterMs, count });
    },
    holdNext(match) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      holds.push({ ...match, released });
      return { release: () => release() };
    },
    dropGateway(code = 4000, { session = "kept" } = {}) {
      const dropped = [...sessions.values()];
      if (session === "lost") sessions.clear();
      for (const each of dropped) each.socket?.close(code, "stand-in: dropped");
    },
    restDown(down) {
      restIsDown = down;
    },
    waitFor(match: (event: StandInEvent) => boolean, what: string, deadlineMs = 10_000): Promise<never> {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < events.length; seen += 1) {
            const event = events[seen]!;
            if (match(event)) {
              done();
              resolve(event as never);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`stand-in: no ${what} within ${deadlineMs}ms; saw ${events.length} events`));
        }, deadlineMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async threadOn(messageId) {
      const { thread } = await standIn.waitFor(
        (event): event is Extract<StandInEvent, { kind: "thread" }> =>
          event.kind === "thread" && event.thread.id === messageId,
        `a thread on ${messageId}`,
      );
      return thread;
    },
    reactionAdded(messageId, emoji) {
      return standIn.waitFor(
        (event): event is Extract<StandInEvent, { kind: "reaction" }> =>
          event.kind === "reaction" &&
          event.op === "add" &&
          event.messageId === messageId &&
          event.emoji === emoji,
        `${emoji} on ${messageId}`,
      );
    },
    hostEnv: () => ({
      DISCORD_TOKEN: token,
      DISCORD_API_URL: apiUrl,
      DISCORD_GUILD_ID: guildId,
      DISCORD_APPLICATION_ID: applicationId,
    }),
    restCalls(route) {
      return events.filter(
        (event): event is Extract<StandInEvent, { kind: "rest" }> =>
          event.kind === "rest" && (route === undefined || route.test(event.route)),
      );
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
  return standIn;
};
