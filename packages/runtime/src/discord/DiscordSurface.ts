// The Surface port on discord.js: threads on task messages, the bot's own status reactions, posts
// under each agent's name through a channel webhook (created once per channel and agent, reused; the
// bot posts instead when webhooks are not allowed), files as attachments, a thread's recent messages
// and pins (a follow-up's memory), and allowed_mentions empty unless a post names who it may ping. All REST goes through discord.js's client, so its rate-limit
// handling applies (a 429 is waited out, never retried early); `apiUrl` points REST — and through
// GET /gateway/bot the gateway — at a Discord-compatible server. The token is never logged. After a
// restart, a message's own reactions and people's reactions (with the members' roles) are read back
// through REST, and so are the messages of a channel written while the gateway was not connected
// (`messagesSince`, paging with `after`); a new gateway session (READY, after an IDENTIFY that follows
// op 9 Invalid Session or a drop Discord would not resume) and a RESUMED are told to `onConnected`.
// A mention of the bot itself (`<@id>`) addresses Troupe and is taken off what a person
// wrote, so it never reaches an agent's model or memory. With a `fence` (the gateway lease of several
// hosts), every REST call that changes Discord asks it right before it goes out — after discord.js's
// rate-limit waits, so a call queued before a freeze is asked after it — and is dropped with
// SurfaceLost when this host no longer holds the gateway. What would start work here is fenced too: a
// message or slash command from the gateway reaches the listeners (in the order it came) only once the
// fence said yes, and the messages a catch-up reads back are returned only then (else SurfaceLost); once
// it said no, nothing more comes in — it is left to the holder, which has it from its own gateway or
// reads it back in its catch-up.
import type {
  Channel,
  ChatInputCommandInteraction,
  Message,
  TextChannel,
  ThreadAutoArchiveDuration,
  Webhook,
} from "discord.js";
import { TroupeError } from "../errors/TroupeError.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import { fitEmbeds } from "../surface/fitEmbeds.ts";
import { isTransientSurfaceError } from "../surface/isTransientSurfaceError.ts";
import type {
  InboundCommand,
  InboundMessage,
  InboundReaction,
  MissedMessages,
  Surface,
  SurfaceEmbed,
  SurfaceFile,
  SurfaceHistoryMessage,
  SurfaceIdentity,
  SurfaceMessageRef,
  SurfacePost,
  SurfaceSession,
} from "../surface/Surface.ts";
import {
  AttachmentBuilder,
  Client,
  DefaultRestOptions,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Routes,
  SnowflakeUtil,
  Status,
} from "./discordJs.ts";

type RestMethod = Parameters<Client["rest"]["queueRequest"]>[0]["method"];

/** Resolves once the bucket an answer's rate-limit headers describe has room again. */
const waitForReset = (headers: { get(name: string): string | null }): Promise<void> => {
  const remaining = Number(headers.get("x-ratelimit-remaining") ?? Number.NaN);
  const resetAfterMs = Number(headers.get("x-ratelimit-reset-after") ?? Number.NaN) * 1_000;
  if (!(remaining === 0 && resetAfterMs > 0)) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, Math.min(resetAfterMs, 60_000)));
};

export interface DiscordSurfaceOptions {
  /** The bot's token: given to discord.js only, never logged. */
  readonly token: string;
  /** Only messages of this guild are taken (default: every guild the bot is in). */
  readonly guildId?: string;
  /** The REST API base (default https://discord.com/api); the gateway URL comes from GET /gateway/bot. */
  readonly apiUrl?: string;
  /** Minutes of inactivity before a task's thread is archived (default 1440). */
  readonly threadAutoArchiveMinutes?: 60 | 1440 | 4320 | 10080;
  /** Told how long discord.js will wait when it hits a rate limit, so status updates back off. */
  readonly onRateLimited?: (waitMs: number) => void;
  /** Where REST responses and rate limits are counted (`createDiscordMetrics` in `./metrics`). */
  readonly metrics?: {
    response(method: string, status: number): void;
    rateLimited(global: boolean): void;
  };
  /**
   * Whether this process may still change Discord (it holds the gateway lease: `RedisLease.confirm`),
   * asked right before each REST call that would — a post, a reaction, a thread, a webhook; not a read,
   * not the answer to an interaction this host received. False drops the call with SurfaceLost. Asked
   * too before a message or a slash command from the gateway, or messages read back, are handed on.
   */
  readonly fence?: () => Promise<boolean>;
  readonly logger?: Logger;
}

export interface DiscordSurfaceStats {
  readonly webhooksCreated: number;
  readonly webhookPosts: number;
  readonly botPosts: number;
  readonly rateLimits: number;
}

export interface DiscordSurface extends Surface {
  readonly client: Client;
  /** Log in and resolve once the gateway is ready (`clientReady`); rejects with the reason otherwise. */
  connect(signal?: AbortSignal): Promise<void>;
  stats(): DiscordSurfaceStats;
  /** Whether every gateway shard is connected and ready now (false while it reconnects or resumes). */
  gatewayReady(): boolean;
  /** Leave the gateway and drop the client. */
  close(): Promise<void>;
}

/** The intents the surface needs, and no more (MessageContent is privileged: enable it for the bot). */
export const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.MessageContent,
] as const;

/** Messages one GET of a channel's messages gives at most. */
const PAGE = 100;

/** Discord's error code for a thread asked on a message that already has one. */
const THREAD_ALREADY_CREATED = 160_004;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What a call, or a catch-up's read, fails with once another host holds the gateway. */
const surfaceLost = () => new TroupeError("SurfaceLost", "discord: this host no longer holds the gateway");

export const createDiscordSurface = (options: DiscordSurfaceOptions): DiscordSurface => {
  const logger = options.logger ?? silentLogger;
  /** Hand `value` to every listener; one that throws is logged and the others still get it. */
  const tell = <T>(all: Iterable<(value: T) => void>, value: T, what: string): void => {
    for (const listener of all) {
      try {
        listener(value);
      } catch (error) {
        logger.log("error", `discord: a ${what} listener failed`, { error: message(error) });
      }
    }
  };
  const { fence } = options;
  let dropping = false;
  /** Each REST request as it goes out: one that changes Discord only while the fence says so. */
  const makeRequest: typeof DefaultRestOptions.makeRequest = async (url, init) => {
    if (fence && changesDiscord(url, init.method) && !(await fence())) {
      if (!dropping)
        logger.log(
          "warn",
          "discord: this host no longer holds the gateway; dropping what it would still send",
          {
            method: init.method ?? "GET",
            // A webhook's token is a secret: never in the log.
            path: new URL(url).pathname.replace(/(\/webhooks\/\d+\/)[^/]+/, "$1:token"),
          },
        );
      dropping = true;
      throw surfaceLost();
    }
    return DefaultRestOptions.makeRequest(url, init);
  };
  /** Not a read, and not an interaction's answer (only the host that received it can give that). */
  const changesDiscord = (url: string, method: string | undefined) => {
    if (method === undefined || method === "GET") return false;
    const path = new URL(url).pathname;
    const application = client.application?.id;
    return !(
      /\/interactions\/\d+\/[^/]+\/callback$/.test(path) ||
      (application !== undefined && path.includes(`/webhooks/${application}/`))
    );
  };
  const client = new Client({
    intents: [...DISCORD_INTENTS],
    // A default as strict as the surface's own: nothing pings unless a post says who.
    allowedMentions: { parse: [] },
    rest: { makeRequest, ...(options.apiUrl === undefined ? {} : { api: options.apiUrl }) },
  });
  const listeners = new Set<(message: InboundMessage) => void>();
  const reactionListeners = new Set<(reaction: InboundReaction) => void>();
  const commandListeners = new Set<(command: InboundCommand) => void>();
  const connectedListeners = new Set<(session: SurfaceSession) => void>();
  const webhooks = new Map<string, Promise<Webhook | undefined>>();
  const channelHooks = new Map<string, Promise<Map<string, Webhook>>>();
  const noWebhooks = new Set<string>();
  const counts = { webhooksCreated: 0, webhookPosts: 0, botPosts: 0, rateLimits: 0 };
  const archive = (options.threadAutoArchiveMinutes ?? 1440) as ThreadAutoArchiveDuration;

  // The bot's own reactions in a channel share one bucket on Discord (adding and removing alike, one
  // per 250 ms), which discord.js learns per method only from that method's first answer: a fresh
  // host's first removal would go out unpaced behind an add and earn a 429. So they go one at a time
  // per channel, and when an answer says the bucket is empty the next waits for the reset it named.
  const reactionTurns = new Map<string, Promise<void>>();
  const ownReaction = (method: "PUT" | "DELETE", on: SurfaceMessageRef, emoji: string) => {
    const previous = reactionTurns.get(on.channelId) ?? Promise.resolve();
    const answered = previous.then(() =>
      client.rest.queueRequest({
        fullRoute: Routes.channelMessageOwnReaction(on.channelId, on.messageId, encodeURIComponent(emoji)),
        method: method as RestMethod,
      }),
    );
    const turn = answered.then(
      (response) => waitForReset(response.headers),
      () => {},
    );
    reactionTurns.set(on.channelId, turn);
    void turn.then(() => {
      if (reactionTurns.get(on.channelId) === turn) reactionTurns.delete(on.channelId);
    });
    return answered;
  };

  client.rest.on("response", (request, response) =>
    options.metrics?.response(request.method, response.status),
  );
  client.rest.on("rateLimited", (info) => {
    counts.rateLimits += 1;
    options.metrics?.rateLimited(info.global);
    logger.log("warn", "discord: rate limited; waiting", {
      route: info.route,
      waitMs: info.timeToReset,
      global: info.global,
    });
    options.onRateLimited?.(info.timeToReset);
  });
  client.on(Events.Error, (error) => logger.log("error", "discord: client error", { error: message(error) }));
  client.on(Events.Warn, (warning) => logger.log("warn", "discord: client warning", { warning }));
  client.on(Events.ShardDisconnect, (event, shard) =>
    logger.log("warn", "discord: gateway disconnected", { shard, code: event.code }),
  );
  client.on(Events.ShardResume, (shard, replayed) =>
    logger.log("info", "discord: gateway resumed", { shard, replayed }),
  );

  /** Written by a bot, a webhook (an agent's post) or Troupe's own bot user. */
  const fromBot = (written: Message) =>
    written.author.bot || written.webhookId !== null || written.author.id === client.user?.id;

  /** What a person wrote, without mentions of the bot itself (`<@id>`, `<@!id>`). */
  const withoutOwnMention = (content: string): string => {
    const own = client.user?.id;
    if (own === undefined) return content;
    const stripped = content.replace(new RegExp(`<@!?${own}>\\s*`, "g"), "");
    return stripped === content ? content : stripped.trim();
  };

  const historyMessageOf = (written: Message): SurfaceHistoryMessage => ({
    id: written.id,
    authorName: written.author.username,
    fromBot: fromBot(written),
    content: withoutOwnMention(written.content),
  });

  /** A guild message as the bridge sees it (undefined for one outside the guild Troupe serves). */
  const inboundOf = (incoming: Message): InboundMessage | undefined => {
    if (!incoming.inGuild()) return undefined;
    if (options.guildId !== undefined && incoming.guildId !== options.guildId) return undefined;
    const channel = incoming.channel;
    const inThread = channel.isThread();
    const parent = inThread ? channel.parent : channel;
    return {
      id: incoming.id,
      channelId: inThread ? (channel.parentId ?? channel.id) : channel.id,
      channelName: parent?.name,
      threadId: inThread ? channel.id : undefined,
      authorId: incoming.author.id,
      authorName: incoming.author.username,
      fromBot: fromBot(incoming),
      content: withoutOwnMention(incoming.content),
    };
  };

  /** The fence said no once: nothing that comes in is handed on any more (another host holds the gateway). */
  let lost = false;
  /** Whether what came in may start work here: asks the fence until it first says no. */
  const admitted = async () => {
    if (fence && !lost && !(await fence())) lost = true;
    return !lost;
  };
  /** Messages and commands from the gateway, handed on one after the other, in the order they came. */
  let admissions = Promise.resolve();
  const admit = (what: Record<string, string>, handOn: () => void) => {
    if (!fence) return handOn();
    admissions = admissions
      .then(async () => {
        if (await admitted()) return handOn();
        logger.log(
          "info",
          "discord: this host no longer holds the gateway; leaving what came in to the host that does",
          what,
        );
      })
      .catch((error: unknown) =>
        logger.log("error", "discord: the gateway lease could not be confirmed; dropped what came in", {
          ...what,
          error: message(error),
        }),
      );
  };

  client.on(Events.MessageCreate, (incoming: Message) => {
    const inbound = inboundOf(incoming);
    if (!inbound) return;
    admit({ messageId: inbound.id }, () => {
      tell(listeners, inbound, "message");
    });
  });

  // Reactions from the raw dispatch: discord.js drops those on messages it has not cached.
  interface RawReaction {
    readonly user_id: string;
    readonly channel_id: string;
    readonly message_id: string;
    readonly guild_id?: string;
    readonly emoji: { readonly name: string | null };
    readonly member?: {
      readonly roles?: readonly string[];
      readonly user?: { username?: string; bot?: boolean };
    };
  }
  (client as unknown as NodeJS.EventEmitter).on(Events.Raw, (packet: { t?: string; d?: RawReaction }) => {
    // The raw READY and RESUMED, before any message of the session: none passes unseen before the
    // listeners know the connection is back (the first READY, in `connect`, has none yet).
    if (packet.t === "READY" || packet.t === "RESUMED") {
      const session: SurfaceSession = packet.t === "READY" ? "new" : "resumed";
      logger.log("info", "discord: gateway connected", { session });
      tell(connectedListeners, session, "connection");
      return;
    }
    if (packet.t !== "MESSAGE_REACTION_ADD" || !packet.d || reactionListeners.size === 0) return;
    const data = packet.d;
    if (options.guildId !== undefined && data.guild_id !== options.guildId) return;
    const guild = data.guild_id === undefined ? undefined : client.guilds.cache.get(data.guild_id);
    const inbound: InboundReaction = {
      channelId: data.channel_id,
      messageId: data.message_id,
      emoji: data.emoji.name ?? "",
      userId: data.user_id,
      userName: data.member?.user?.username ?? data.user_id,
      fromBot: data.member?.user?.bot === true || data.user_id === client.user?.id,
      roles: (data.member?.roles ?? []).map((id) => ({ id, name: guild?.roles.cache.get(id)?.name })),
    };
    tell(reactionListeners, inbound, "reaction");
  });

  const filesOf = (files: readonly SurfaceFile[] | undefined) =>
    files?.length
      ? { files: files.map((file) => new AttachmentBuilder(Buffer.from(file.data), { name: file.name })) }
      : {};

  /** Embeds as Discord's API objects, fitted to its limits. */
  const embedsOf = (embeds: readonly SurfaceEmbed[] | undefined) =>
    embeds?.length
      ? { embeds: fitEmbeds(embeds).map((embed) => ({ ...embed, fields: [...(embed.fields ?? [])] })) }
      : {};

  const commandOf = (interaction: ChatInputCommandInteraction): InboundCommand => {
    const options: Record<string, string> = {};
    for (const option of interaction.options.data)
      if (option.value !== undefined) options[option.name] = String(option.value);
    let answered = false;
    return {
      id: interaction.id,
      name: interaction.commandName,
      options,
      userId: interaction.user.id,
      channelId: interaction.channelId,
      channelName:
        interaction.channel && "name" in interaction.channel
          ? (interaction.channel.name ?? undefined)
          : undefined,
      async defer(deferOptions) {
        if (interaction.deferred || interaction.replied) return;
        await interaction.deferReply(deferOptions?.ephemeral ? { flags: MessageFlags.Ephemeral } : {});
      },
      async reply(content, replyOptions) {
        const payload = {
          content,
          allowedMentions: { parse: [] },
          ...filesOf(replyOptions?.files),
          ...embedsOf(replyOptions?.embeds),
        };
        const flags = replyOptions?.ephemeral ? ({ flags: MessageFlags.Ephemeral } as const) : {};
        if (!interaction.deferred && !interaction.replied) await interaction.reply({ ...payload, ...flags });
        else if (interaction.deferred && !answered) await interaction.editReply(payload);
        else await interaction.followUp({ ...payload, ...flags });
        answered = true;
      },
    };
  };

  client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isChatInputCommand()) return;
    if (options.guildId !== undefined && interaction.guildId !== options.guildId) return;
    const command = commandOf(interaction);
    admit({ interactionId: command.id, command: command.name }, () => {
      tell(commandListeners, command, "command");
    });
  });

  const channelOf = async (id: string): Promise<Channel> => {
    const channel = client.channels.cache.get(id) ?? (await client.channels.fetch(id));
    if (!channel) throw new TroupeError("SurfaceRefused", `discord: no channel ${id}`);
    return channel;
  };

  const messagesOf = async (id: string) => {
    const channel = await channelOf(id);
    if (!channel.isTextBased()) throw new TroupeError("SurfaceRefused", `discord: ${id} has no messages`);
    return channel.messages;
  };

  const hooksOf = (channel: TextChannel): Promise<Map<string, Webhook>> => {
    let hooks = channelHooks.get(channel.id);
    if (!hooks) {
      hooks = channel.fetchWebhooks().then((found) => {
        const own = new Map<string, Webhook>();
        for (const hook of found.values())
          if (hook.token && hook.applicationId === client.application?.id) own.set(hook.name, hook);
        return own;
      });
      hooks.catch(() => channelHooks.delete(channel.id));
      channelHooks.set(channel.id, hooks);
    }
    return hooks;
  };

  /** The channel's webhook for this identity: found or created once, then reused. */
  const webhookFor = (channel: TextChannel, identity: SurfaceIdentity): Promise<Webhook | undefined> => {
    const key = `${channel.id}:${identity.name}`;
    let hook = webhooks.get(key);
    if (!hook) {
      hook = (async () => {
        const existing = (await hooksOf(channel)).get(identity.name);
        if (existing) return existing;
        const created = await channel.createWebhook({
          name: identity.name,
          ...(identity.avatarUrl ? { avatar: identity.avatarUrl } : {}),
          reason: `Troupe: posts of the agent ${identity.name}`,
        });
        counts.webhooksCreated += 1;
        logger.log("info", "discord: webhook created", { channelId: channel.id, agent: identity.name });
        return created;
      })().catch((error: unknown) => {
        if (isTransientSurfaceError(error)) {
          // Discord unreachable, not a refusal: the next post tries the webhook again.
          webhooks.delete(key);
          throw error;
        }
        // Not allowed (Manage Webhooks missing) or full: the bot posts for every agent here.
        noWebhooks.add(channel.id);
        webhooks.delete(key);
        logger.log("warn", "discord: no webhook for the agent; the bot posts instead", {
          channelId: channel.id,
          agent: identity.name,
          error: message(error),
        });
        return undefined;
      });
      webhooks.set(key, hook);
    }
    return hook;
  };

  const payloadOf = (post: SurfacePost) => ({
    content: post.content,
    allowedMentions: {
      parse: [],
      users: [...(post.mentions?.users ?? [])],
      roles: [...(post.mentions?.roles ?? [])],
    },
    ...(post.files?.length
      ? {
          files: post.files.map((file) => new AttachmentBuilder(Buffer.from(file.data), { name: file.name })),
        }
      : {}),
    ...embedsOf(post.embeds),
  });

  const surface: DiscordSurface = {
    kind: "discord",
    maxMessageChars: 2_000,
    client,

    async connect(signal) {
      signal?.throwIfAborted();
      const ready = new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal?.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        client.once(Events.ClientReady, () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        });
      });
      try {
        await Promise.race([client.login(options.token), ready]);
        await ready;
      } catch (error) {
        await client.destroy().catch(() => {});
        // Unreachable or too slow: worth another try; a refused token or intent: a person must act.
        throw new TroupeError(
          isTransientSurfaceError(error) ? "SurfaceUnavailable" : "SurfaceRefused",
          `discord: could not connect: ${message(error)}`,
          { cause: error },
        );
      }
      logger.log("info", "discord ready", {
        user: client.user?.tag ?? null,
        guilds: client.guilds.cache.size,
        applicationId: client.application?.id ?? null,
      });
    },

    async startThread(on: SurfaceMessageRef, name: string) {
      const channel = await channelOf(on.channelId);
      if (!channel.isTextBased() || channel.isThread() || channel.isDMBased() || !("threads" in channel))
        throw new TroupeError("SurfaceRefused", `discord: channel ${on.channelId} cannot have threads`);
      try {
        const thread = await (channel as TextChannel).threads.create({
          name,
          startMessage: on.messageId,
          autoArchiveDuration: archive,
        });
        return thread.id;
      } catch (error) {
        // Started before a restart that forgot it: a message's thread has the message's id.
        if ((error as { code?: unknown }).code === THREAD_ALREADY_CREATED) return on.messageId;
        throw error;
      }
    },

    async post(channelId: string, post: SurfacePost) {
      const channel = await channelOf(channelId);
      if (!channel.isSendable())
        throw new TroupeError("SurfaceRefused", `discord: cannot post in ${channelId}`);
      const parent = channel.isThread() ? channel.parent : channel;
      if (post.identity && parent && "createWebhook" in parent && !noWebhooks.has(parent.id)) {
        const hook = await webhookFor(parent as TextChannel, post.identity);
        if (hook) {
          const sent = await hook.send({
            ...payloadOf(post),
            username: post.identity.name,
            ...(post.identity.avatarUrl ? { avatarURL: post.identity.avatarUrl } : {}),
            ...(channel.isThread() ? { threadId: channel.id } : {}),
          });
          counts.webhookPosts += 1;
          return { channelId, messageId: sent.id };
        }
      }
      const sent = await channel.send(payloadOf(post));
      counts.botPosts += 1;
      return { channelId, messageId: sent.id };
    },

    async react(on, emoji) {
      await ownReaction("PUT", on, emoji);
    },

    async unreact(on, emoji) {
      await ownReaction("DELETE", on, emoji);
    },

    async history(threadId, { limit, before }) {
      const messages = await messagesOf(threadId);
      const fetched = await messages.fetch({
        limit: Math.min(limit, 100),
        cache: false,
        ...(before ? { before } : {}),
      });
      return [...fetched.values()]
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
        .map(historyMessageOf);
    },

    channelIds(namesOrIds) {
      const ids: string[] = [];
      for (const guild of client.guilds.cache.values()) {
        if (options.guildId !== undefined && guild.id !== options.guildId) continue;
        for (const channel of guild.channels.cache.values())
          if (
            channel.isTextBased() &&
            !channel.isThread() &&
            (namesOrIds.includes(channel.id) || namesOrIds.includes(channel.name))
          )
            ids.push(channel.id);
      }
      return ids;
    },

    async messagesSince(channelId, { after, since, limit }, signal): Promise<MissedMessages> {
      const messages = await messagesOf(channelId);
      // `since` as the smallest id of that millisecond: Discord pages by id.
      const floor = SnowflakeUtil.generate({ timestamp: since, increment: 0n, workerId: 0n, processId: 0n });
      let cursor = after !== undefined && BigInt(after) > floor ? after : floor.toString();
      const kept: InboundMessage[] = [];
      let skipped = 0;
      // Oldest first, a page at a time, keeping the newest `limit`.
      for (;;) {
        signal?.throwIfAborted();
        const page = await messages.fetch({ after: cursor, limit: PAGE, cache: false });
        const oldestFirst = [...page.values()].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
        for (const written of oldestFirst) {
          const inbound = inboundOf(written);
          if (inbound) kept.push(inbound);
        }
        if (kept.length > limit) skipped += kept.splice(0, kept.length - limit).length;
        const newest = oldestFirst.at(-1);
        if (page.size < PAGE || newest === undefined) break;
        cursor = newest.id;
      }
      if (!(await admitted())) throw surfaceLost();
      return { messages: kept, skipped };
    },

    async pinned(threadId) {
      const messages = await messagesOf(threadId);
      const { items } = await messages.fetchPins({ cache: false });
      return items.toReversed().map((pin) => historyMessageOf(pin.message));
    },

    async ownReactions(on) {
      const found = (await client.rest.get(Routes.channelMessage(on.channelId, on.messageId))) as {
        readonly reactions?: readonly {
          readonly me?: boolean;
          readonly emoji: { readonly name: string | null };
        }[];
      };
      return (found.reactions ?? [])
        .filter((reaction) => reaction.me)
        .map((reaction) => reaction.emoji.name ?? "");
    },

    async reactionsOn(on, emoji) {
      const users = (await client.rest.get(
        Routes.channelMessageReaction(on.channelId, on.messageId, encodeURIComponent(emoji)),
        { query: new URLSearchParams({ limit: "100" }) },
      )) as readonly { readonly id: string; readonly username: string; readonly bot?: boolean }[];
      const channel = await channelOf(on.channelId);
      const guild = "guild" in channel ? channel.guild : undefined;
      const reactions: InboundReaction[] = [];
      for (const user of users) {
        const fromBot = user.bot === true || user.id === client.user?.id;
        // The member's roles now, one REST call per person (only people: bots never decide).
        const member =
          fromBot || !guild
            ? undefined
            : ((await client.rest.get(Routes.guildMember(guild.id, user.id))) as {
                readonly roles?: readonly string[];
              });
        reactions.push({
          channelId: on.channelId,
          messageId: on.messageId,
          emoji,
          userId: user.id,
          userName: user.username,
          fromBot,
          roles: (member?.roles ?? []).map((id) => ({ id, name: guild?.roles.cache.get(id)?.name })),
        });
      }
      return reactions;
    },

    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    onReaction(listener) {
      reactionListeners.add(listener);
      return () => reactionListeners.delete(listener);
    },

    roleIds(namesOrIds) {
      const ids = new Set<string>();
      for (const guild of client.guilds.cache.values()) {
        if (options.guildId !== undefined && guild.id !== options.guildId) continue;
        for (const role of guild.roles.cache.values())
          if (namesOrIds.includes(role.id) || namesOrIds.includes(role.name)) ids.add(role.id);
      }
      return [...ids];
    },

    onCommand(listener) {
      commandListeners.add(listener);
      return () => commandListeners.delete(listener);
    },

    onConnected(listener) {
      connectedListeners.add(listener);
      return () => connectedListeners.delete(listener);
    },

    stats: () => ({ ...counts }),

    gatewayReady: () =>
      client.ws.shards.size > 0 && client.ws.shards.every((shard) => shard.status === Status.Ready),

    async close() {
      listeners.clear();
      reactionListeners.clear();
      commandListeners.clear();
      connectedListeners.clear();
      await client.destroy();
    },
  };
  return surface;
};
