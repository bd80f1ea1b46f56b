// The bridge between a chat Surface (Discord, the host's console) and a team: messages in Troupe's
// channels become tasks on the durable work queue, each task gets a thread on its message and one status
// reaction that follows its events on the bus (coalesced), and its outcome is posted in the thread
// under the agent's own identity — split, or attached as a file when long; metadata only in privacy
// mode; with the command that replays it offline as a footer when the host recorded it. A person's message in such a thread is a follow-up task for the same agent, with the thread as
// its memory (followUps.ts). With a store, its open tasks are kept in a ledger and reconciled after a
// restart (`reconcile()`). What was written in its channels while the surface was not connected is
// read back after a start (`catchUp()`) and after every reconnect (catchUp.ts). A message starts at
// most one task: the task's id is the message's (`t-<message id>`), a message seen twice is taken
// once, and the catch-up passes over those an earlier run or another host took. A reply the surface
// drops because another host holds it now (SurfaceLost) stays unposted in the ledger: that host posts
// it. It never imports a chat library: everything goes through the Surface port.

import { outputFormatter } from "../agent/OutputFormat.ts";
import { createTaskFollower } from "../durable/followTask.ts";
import { MemorySnapshotStore, type SnapshotStore } from "../durable/SnapshotStore.ts";
import type { TaskRecord, WorkItem, WorkQueue } from "../durable/WorkQueue.ts";
import { isTroupeError } from "../errors/TroupeError.ts";
import type { RuntimeEvent, TaskState } from "../events/catalogue.ts";
import type { EventBus } from "../events/EventBus.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import type { ConversationTurn, TaskInput } from "../task/Task.ts";
import type { Clock } from "../time/Clock.ts";
import { systemClock } from "../time/Clock.ts";
import { formatMillis } from "../time/duration.ts";
import { type CatchUpReport, type CatchUpSettings, createCatchUp, DEFAULT_CATCH_UP } from "./catchUp.ts";
import {
  DEFAULT_FOLLOW_UP_LIMITS,
  type FollowUpLimits,
  type FollowUpRoute,
  followUpInput,
  routeFollowUp,
  TaskThreads,
} from "./followUps.ts";
import { outcomePosts, retryText } from "./outcomePosts.ts";
import { ReactionCoalescer, type ReactionCoalescerOptions, type ReactionStats } from "./ReactionCoalescer.ts";
import { RecentIds } from "./RecentIds.ts";
import { afterRestart, finalStateOf, tidyStatusReactions } from "./reconcileSurfaceTask.ts";
import { type ChannelMap, type InboundRoute, routeInbound } from "./routeInbound.ts";
import type { InboundMessage, Surface, SurfaceIdentity, SurfaceMessageRef, SurfacePost } from "./Surface.ts";
import { type SurfaceTaskEntry, SurfaceTaskLedger } from "./SurfaceTaskLedger.ts";
import { statusSymbols } from "./statusSymbols.ts";
import { surfaceStateOf } from "./surfaceStateOf.ts";
import { threadNameFor } from "./threadName.ts";
import { UserRateLimit } from "./UserRateLimit.ts";

/** The readable markdown of any output, for surfaces given no formatter. */
const defaultFormat = outputFormatter([], "markdown");

export interface SurfaceBridgeOptions {
  readonly surface: Surface;
  readonly bus: EventBus;
  /** Where new tasks go (a worker runs them on the team) and where their outcomes are read. */
  readonly queue: WorkQueue;
  /** Channel-as-queue: channel id or name → agent, or null for a general channel. */
  readonly channels: ChannelMap;
  /** The team's agent names, for "@agent" at the start of a message. */
  readonly agents: () => readonly string[];
  /** The team's capabilities: a general channel's message naming one asks for it (routeInbound.ts). */
  readonly capabilities?: () => ReadonlySet<string>;
  /**
   * Whether a task carries its channel (default true: its channel routes and its conversation memory
   * is the channel's). False on the console, whose one channel is no conversation: each line is a
   * task of its own, remembered on its own.
   */
  readonly taskChannel?: boolean;
  /** Post metadata only (task id, agent, state, timing); requests and results stay local. */
  readonly privacy?: boolean;
  /** A task's output as chat text by agent name (default: the readable default, agent.ts `format`). */
  readonly format?: (agent: string, output: unknown) => string;
  /** Who an agent posts as (default: its name). */
  readonly identityOf?: (agent: string) => SurfaceIdentity;
  /** New tasks per user (default 10 per minute). */
  readonly userRate?: { readonly tasks: number; readonly perMs: number };
  /** Messages a reply may take before it goes as a file (default 4). */
  readonly maxChunks?: number;
  readonly reactions?: Omit<ReactionCoalescerOptions, "apply" | "clock">;
  /** How much of a thread's history and pins a follow-up in it carries (see followUps.ts). */
  readonly followUps?: FollowUpLimits;
  /** How much of what was written while the surface was not connected is read back (catchUp.ts). */
  readonly catchUp?: CatchUpSettings;
  /**
   * Where its open tasks (message, thread, reaction, outcome posted) and its channels' cursors are
   * remembered, so that `reconcile()` and `catchUp()` after a restart bring them back in line; in
   * memory only when absent.
   */
  readonly store?: SnapshotStore;
  /** How often an open task's record is read again when no event named it (followTask.ts). */
  readonly recheckMs?: number;
  /**
   * The command that re-runs a task offline (`troupe replay … --task …`), shown under its outcome;
   * undefined for a task that was not recorded.
   */
  readonly replayCommand?: (taskId: string) => string | undefined;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface SurfaceBridgeStats {
  readonly received: number;
  readonly duplicates: number;
  readonly fromBots: number;
  readonly ignored: number;
  readonly tasks: number;
  /** Of `tasks`, those that continue a task from a message in its thread. */
  readonly followUps: number;
  /** Of `tasks`, those from messages read back by a catch-up. */
  readonly caughtUp: number;
  readonly rateLimited: number;
  readonly posts: number;
  readonly postFailures: number;
  readonly reactions: ReactionStats;
}

export interface SurfaceBridge {
  /** Tasks started here whose outcome has not been posted yet. */
  readonly open: number;
  stats(): SurfaceBridgeStats;
  /** The thread of a task started here (undefined when it is not one, or it has no thread). */
  threadOf(taskId: string): Promise<string | undefined>;
  /**
   * A question of the task waits for (or got) a person's answer in its thread: a message there then
   * answers it and starts no follow-up. Its events say so too, but those of a task another host runs
   * may have come before this host held the surface.
   */
  awaitsAnswer(taskId: string, waits: boolean): void;
  /** The surface reported a rate limit: status reactions wait `ms` before changing again. */
  pressure(ms: number): void;
  /**
   * Once at start, before the worker runs: the tasks an earlier run left open (with `store`) get
   * their thread, their outcome posted when finished, one status reaction, and are tracked again; the
   * threads earlier runs opened take follow-ups again. Resolves to how many tasks there were.
   */
  reconcile(): Promise<number>;
  /**
   * Once at start, after `reconcile()`: read back each mapped channel's messages written since the
   * last one taken (within the catch-up's bounds) and take those no task was started for. Done again
   * on its own after each reconnect of the surface.
   */
  catchUp(): Promise<CatchUpReport>;
  /**
   * A task a command started (on surfaces where a command is a message, as on the console): shown
   * like a message's task, its status reaction on `on` and its outcome in a thread opened on it.
   * Resolves once it is on the work queue (or was refused, which is posted).
   */
  startTask(item: WorkItem, on: SurfaceMessageRef, from: string): Promise<void>;
  /** Resolves once every task started here has had its outcome posted (or `signal` aborts). */
  idle(signal?: AbortSignal): Promise<void>;
  /**
   * Take no new messages; wait (until `signal` aborts) for open tasks' outcomes to be posted and the
   * reactions to settle; then let go of the bus.
   */
  stop(signal?: AbortSignal): Promise<void>;
}

/** What the bridge knows of a task it started. */
interface Tracked {
  readonly id: string;
  readonly message: SurfaceMessageRef;
  /** The thread's id, or undefined when it could not be created (posts then go to the channel). */
  readonly thread: Promise<string | undefined>;
  agent: string | undefined;
  /** Posts of this task, one after the other. */
  posts: Promise<void>;
  /**
   * A post was dropped because another process holds the surface now (SurfaceLost): its outcome is
   * that holder's to post, so the ledger keeps saying it was not posted.
   */
  dropped?: true;
  reported: boolean;
  /** Status changes asked for by its events so far: a 🔁 that waited for its post is set only if none came after. */
  changes: number;
  /** Its outcome was posted before a restart: only the final reaction is left to set. */
  readonly posted: boolean;
  /**
   * Tracked again after a restart or a takeover: its reply may be in its thread although the ledger
   * does not say so (the host stopped between posting it and writing that down).
   */
  readonly resumed?: true;
  /** It opened its thread from this channel with this request (follow-ups there continue it). */
  readonly opened?: { readonly channel: string; readonly opening: ConversationTurn };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The task a message starts: one per message, whoever reads it and however often. */
export const taskIdOfMessage = (messageId: string): string => `t-${messageId}`;
const taskIdOf = (message: InboundMessage) => taskIdOfMessage(message.id);

/** How many of a thread's last messages are read for a reply posted before a restart. */
const RECENT_REPLIES = 20;

/** The states a task ends in: their reaction follows the queue's record, never an event. */
const ENDS: ReadonlySet<TaskState> = new Set(["succeeded", "failed", "cancelled"]);

/** The reaction on a message refused by the per-user limit. */
export const RATE_LIMITED_SYMBOL = "⏳";

export const startSurfaceBridge = (options: SurfaceBridgeOptions): SurfaceBridge => {
  const { surface, bus, queue } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const privacy = options.privacy ?? false;
  const format = options.format ?? defaultFormat;
  const identityOf = options.identityOf ?? ((agent: string) => ({ name: agent }));
  const withChannel = (input: TaskInput): TaskInput => {
    if (options.taskChannel !== false) return input;
    const { channel: _channel, ...rest } = input;
    return rest;
  };
  const recent = new RecentIds();
  const perUser = new UserRateLimit({
    tasks: options.userRate?.tasks ?? 10,
    perMs: options.userRate?.perMs ?? 60_000,
    clock,
  });
  const tracked = new Map<string, Tracked>();
  const followUpLimits = options.followUps ?? DEFAULT_FOLLOW_UP_LIMITS;
  const counts = {
    received: 0,
    duplicates: 0,
    fromBots: 0,
    ignored: 0,
    tasks: 0,
    followUps: 0,
    caughtUp: 0,
    rateLimited: 0,
    posts: 0,
    postFailures: 0,
  };
  let idleWaiters: (() => void)[] = [];
  let accepting = true;
  const ledger = new SurfaceTaskLedger(options.store ?? new MemorySnapshotStore(), logger);
  const threads = new TaskThreads(1_000, (threadId) => ledger.forgetThread(threadId));
  /** Follow-ups in the thread continue its opening task: with its agent, in its channel. */
  const rememberThread = (
    threadId: string,
    agent: () => string | undefined,
    channel: string,
    opening: ConversationTurn,
  ) => {
    threads.remember(threadId, { agent, channel, opening });
    const known = agent();
    ledger.rememberThread({
      threadId,
      channel,
      opening,
      activeAt: clock.now(),
      ...(known === undefined ? {} : { agent: known }),
    });
  };

  const coalescer = new ReactionCoalescer({
    ...options.reactions,
    clock,
    apply: async (taskId, from, to) => {
      const task = tracked.get(taskId);
      const message = task?.message ?? messageOf.get(taskId);
      if (!message) return;
      // Remove first, then add: the message never shows two status reactions.
      if (from !== undefined) await surface.unreact(message, from);
      await surface.react(message, to);
      ledger.update(taskId, { reaction: to });
    },
    onError: (taskId, error, gaveUp) => {
      // The surface said once that it no longer holds it; the holder now shows the task's state.
      if (isTroupeError(error, "SurfaceLost")) return;
      logger.log(gaveUp ? "error" : "warn", "surface: a status reaction could not be changed", {
        taskId,
        error: errorText(error),
        gaveUp,
      });
    },
  });
  /** Messages of tasks already reported, until their last reaction is applied. */
  const messageOf = new Map<string, SurfaceMessageRef>();

  /** Posts in turn; `unless` resolving true leaves the post out (its outcome is already there). */
  const post = (task: Tracked, content: SurfacePost, unless?: Promise<boolean>): Promise<void> => {
    task.posts = task.posts.then(async () => {
      if (unless && (await unless)) return;
      const thread = await task.thread;
      try {
        await surface.post(thread ?? task.message.channelId, content);
        counts.posts += 1;
      } catch (error) {
        if (isTroupeError(error, "SurfaceLost")) {
          task.dropped = true;
          return;
        }
        counts.postFailures += 1;
        logger.log("error", "surface: a post failed", { taskId: task.id, error: errorText(error) });
      }
    });
    return task.posts;
  };

  /** Whether the task's thread is waiting for a person's answer (then a message there is no follow-up). */
  const awaitsHuman = (task: Tracked, waits: boolean) =>
    void task.thread.then((thread) => thread !== undefined && threads.waiting(thread, task.id, waits));

  const settle = (task: Tracked, state: TaskState) => {
    task.reported = true;
    following.get(task.id)?.abort();
    awaitsHuman(task, false);
    messageOf.set(task.id, task.message);
    const final = statusSymbols[state].symbol;
    ledger.update(task.id, { final });
    const { opened } = task;
    // Its agent is known by now: kept with its thread for follow-ups after a restart.
    if (opened && task.agent !== undefined)
      void task.thread.then(
        (thread) =>
          thread !== undefined && rememberThread(thread, () => task.agent, opened.channel, opened.opening),
      );
    // The final reaction once the reply is posted (or failed to be): ✅ never lands before the reply.
    // A reply dropped for the host that holds the surface now is left to it, as the ledger says.
    void task.posts.finally(() => {
      if (!task.dropped) {
        coalescer.set(task.id, final, { final: true });
        ledger.update(task.id, { posted: true });
      }
      tracked.delete(task.id);
      void coalescer.settled().then(() => {
        if (!tracked.has(task.id)) messageOf.delete(task.id);
      });
      if (tracked.size === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const wake of waiters) wake();
      }
    });
  };

  const report = async (task: Tracked, record: TaskRecord | undefined) => {
    if (task.reported) return;
    if (task.posted) return settle(task, finalStateOf(record));
    const { state, posts } = outcomePosts(task, record, {
      privacy,
      format,
      maxChars: surface.maxMessageChars,
      identityOf,
      ...(options.maxChunks === undefined ? {} : { maxChunks: options.maxChunks }),
      replayCommand: options.replayCommand?.(task.id),
    });
    const shownBefore = task.resumed && posts.length > 0 ? repliedBefore(task, posts[0]!) : undefined;
    for (const content of posts) void post(task, content, shownBefore);
    settle(task, state);
  };

  /**
   * Whether the thread of a task tracked again already shows its reply: a bot message of the reply's
   * text among its last messages. Then the outcome is not posted twice; when the thread cannot be read
   * it is posted (a reply twice is better than none).
   */
  const repliedBefore = async (task: Tracked, reply: SurfacePost): Promise<boolean> => {
    const thread = await task.thread;
    if (thread === undefined || surface.history === undefined || reply.content === "") return false;
    try {
      const recent = await surface.history(thread, { limit: RECENT_REPLIES });
      const found = recent.some((message) => message.fromBot && message.content === reply.content);
      if (found)
        logger.log("info", "surface: the task's reply was already in its thread", { taskId: task.id });
      return found;
    } catch (error) {
      logger.log("warn", "surface: the task's thread could not be read before posting its reply", {
        taskId: task.id,
        error: errorText(error),
      });
      return false;
    }
  };

  const onEvent = (event: RuntimeEvent) => {
    if (!("taskId" in event)) return;
    const task = tracked.get(event.taskId);
    if (!task || task.reported) return;
    if ("agent" in event && typeof event.agent === "string" && event.agent !== task.agent) {
      task.agent = event.agent;
      ledger.update(task.id, { agent: event.agent });
    }
    const state = surfaceStateOf(event);
    if (state === undefined || ENDS.has(state)) {
      // The end (✅, ❌, 🚫) is shown once the queue's record says so, after the outcome's posts.
    } else if (event.type === "task.retrying") {
      // Between attempts: in the thread the attempt about to be made and why the last failed, then
      // 🔁 — unless the next attempt moved the task on meanwhile.
      const asked = ++task.changes;
      void post(task, { content: retryText(task.id, event, privacy) }).then(() => {
        if (task.changes === asked && !task.reported) coalescer.set(task.id, statusSymbols.retrying.symbol);
      });
    } else {
      task.changes += 1;
      coalescer.set(task.id, statusSymbols[state].symbol);
    }
    // The question itself is posted by the HumanGateway; the ✋ reaction shows the wait.
    if (event.type === "task.awaiting_human") awaitsHuman(task, true);
    if (event.type === "task.resumed") awaitsHuman(task, false);
  };
  const unsubscribe = bus.subscribe(onEvent);

  /** Its outcome is reported once the queue recorded it (followTask.ts: the event, or a re-check). */
  const follower = createTaskFollower(
    queue,
    bus,
    options.recheckMs === undefined ? {} : { recheckMs: options.recheckMs },
  );
  const stopFollowing = new AbortController();
  /** Task id → ends following it (once it is reported otherwise, e.g. refused by the queue). */
  const following = new Map<string, AbortController>();
  const followToOutcome = (task: Tracked) => {
    const done = new AbortController();
    following.set(task.id, done);
    void follower.follow(task.id, AbortSignal.any([stopFollowing.signal, done.signal])).then((record) => {
      if (following.get(task.id) === done) following.delete(task.id);
      if (record) return report(task, record);
    });
  };

  const openThread = (id: string, ref: SurfaceMessageRef, name: string) =>
    surface.startThread(ref, name).then(
      (thread) => {
        ledger.update(id, { thread });
        return thread;
      },
      (error: unknown) => {
        if (!isTroupeError(error, "SurfaceLost"))
          logger.log("warn", "surface: no thread for the task; posting in the channel", {
            taskId: id,
            error: errorText(error),
          });
        return undefined;
      },
    );

  /** A task an earlier run left open: tracked again, its message tidied, its outcome posted if over. */
  const resume = async (entry: SurfaceTaskEntry) => {
    const record = await queue.record(entry.taskId).catch((error: unknown) => {
      logger.log("warn", "surface: the task's record could not be read after a restart", {
        taskId: entry.taskId,
        error: errorText(error),
      });
      return undefined;
    });
    const next = afterRestart(entry.taskId, record);
    const wanted =
      next.kind === "running"
        ? entry.reaction !== undefined && entry.reaction !== entry.final
          ? entry.reaction
          : statusSymbols.claimed.symbol
        : statusSymbols[next.kind === "open" ? next.state : finalStateOf(next.record)].symbol;
    const shown = await tidyStatusReactions(surface, entry.message, entry.reaction, wanted).catch(
      (error: unknown) => {
        logger.log("warn", "surface: stale status reactions could not be removed", {
          taskId: entry.taskId,
          error: errorText(error),
        });
        return entry.reaction;
      },
    );
    const task: Tracked = {
      id: entry.taskId,
      message: entry.message,
      agent: entry.agent,
      thread:
        entry.thread === undefined
          ? openThread(entry.taskId, entry.message, entry.threadName)
          : Promise.resolve(entry.thread),
      posts: Promise.resolve(),
      reported: false,
      changes: 0,
      posted: entry.posted,
      resumed: true,
    };
    tracked.set(task.id, task);
    if (shown !== entry.reaction) ledger.update(task.id, { reaction: shown });
    if (shown !== undefined) coalescer.showing(task.id, shown);
    logger.log("info", "surface: a task left open before the restart", {
      taskId: task.id,
      queue: record?.status ?? null,
      shown: shown ?? null,
    });
    if (next.kind !== "finished") {
      coalescer.set(task.id, wanted);
      followToOutcome(task);
    } else await report(task, next.record);
  };

  /** A message as the surface delivers it (`live`) or as a catch-up read it back; true when it started a task. */
  const intake = (message: InboundMessage, source: "live" | "catch-up"): boolean => {
    counts.received += 1;
    if (!accepting) return false;
    if (!recent.first(message.id)) {
      counts.duplicates += 1;
      return false;
    }
    const route =
      routeFollowUp(message, threads) ??
      routeInbound(message, options.channels, options.agents(), options.capabilities?.());
    const queued = take(message, route, source);
    // A message of a mapped channel or of a task's thread: its cursor moves past it once it is handled.
    const watched =
      message.threadId === undefined
        ? !(route.kind === "ignore" && route.why === "unmapped")
        : threads.get(message.threadId) !== undefined;
    if (watched) catchUp.passed(message, queued ?? Promise.resolve(), source);
    return queued !== undefined;
  };

  /**
   * A person over the per-user limit: a reaction on their message, and once per window a reply
   * that mentions only them — never a post per refused message for the whole channel to read.
   */
  const tellRateLimited = (message: InboundMessage, waitMs: number) => {
    const on = { channelId: message.threadId ?? message.channelId, messageId: message.id };
    void surface.react(on, RATE_LIMITED_SYMBOL).catch(() => {});
    if (!perUser.firstRefusalInWindow(message.authorId)) return;
    void surface
      .post(on.channelId, {
        content: `<@${message.authorId}> too many tasks from you just now: try again in ${formatMillis(waitMs)}. Until then your messages get ${RATE_LIMITED_SYMBOL} and start nothing.`,
        mentions: { users: [message.authorId] },
      })
      .catch(() => {});
  };

  /** Start the task a message asks for; resolves once it is on the work queue (or was refused). */
  const take = (
    message: InboundMessage,
    route: FollowUpRoute | InboundRoute,
    source: "live" | "catch-up",
  ): Promise<void> | undefined => {
    if (route.kind === "ignore") {
      if (route.why === "bot") counts.fromBots += 1;
      else counts.ignored += 1;
      return undefined;
    }
    // A backlog read back is bounded by the catch-up's own limit, not by the rate of one person.
    const waitMs = source === "live" ? perUser.take(message.authorId) : 0;
    if (waitMs > 0) {
      counts.rateLimited += 1;
      tellRateLimited(message, waitMs);
      return undefined;
    }
    const id = taskIdOf(message);
    counts.tasks += 1;
    if (source === "catch-up") counts.caughtUp += 1;
    if (route.kind === "follow-up") {
      counts.followUps += 1;
      const { agent, channel, opening } = route.thread;
      rememberThread(route.threadId, agent, channel, opening); // active again: a catch-up reads it
      const task = track(
        { id, message: { channelId: route.threadId, messageId: message.id }, agent: route.thread.agent() },
        { thread: route.threadId },
      );
      logger.log("info", "surface: follow-up in a task's thread", {
        taskId: id,
        messageId: message.id,
        threadId: route.threadId,
        agent: task.agent ?? null,
        ...(source === "catch-up" ? { caughtUp: true } : {}),
      });
      return enqueue(task, followUpInput(surface, message, route, { id, limits: followUpLimits, logger }));
    }
    const ref = { channelId: message.channelId, messageId: message.id };
    const text = route.input.text ?? "";
    const name = privacy ? `task ${id}` : threadNameFor(text, `task ${id}`);
    const task = track(
      { id, message: ref, agent: route.input.agent },
      {
        name,
        opening: { role: "user", name: message.authorName, content: text },
        channel: route.input.channel ?? message.channelId,
      },
    );
    logger.log("info", "surface: task from a message", {
      taskId: id,
      messageId: message.id,
      channel: message.channelName ?? message.channelId,
      agent: route.input.agent ?? null,
      ...(source === "catch-up" ? { caughtUp: true } : {}),
    });
    return enqueue(task, { ...route.input, id });
  };

  /**
   * Start following a new task (its status reaction shows it queued) and write it in the ledger: a
   * follow-up in the thread it continues, or a task from a channel message in a thread opened for it.
   */
  const track = (
    fields: Pick<Tracked, "id" | "message" | "agent">,
    where:
      | { readonly thread: string }
      | { readonly name: string; readonly opening: ConversationTurn; readonly channel: string },
  ): Tracked => {
    ledger.open({
      taskId: fields.id,
      message: fields.message,
      threadName: "name" in where ? where.name : "",
      ...("thread" in where ? { thread: where.thread } : {}),
      ...(fields.agent === undefined ? {} : { agent: fields.agent }),
      posted: false,
    });
    const thread =
      "thread" in where
        ? Promise.resolve(where.thread)
        : openThread(fields.id, fields.message, where.name).then((opened) => {
            if (opened !== undefined) rememberThread(opened, () => task.agent, where.channel, where.opening);
            return opened;
          });
    const task: Tracked = {
      ...fields,
      thread,
      posts: Promise.resolve(),
      reported: false,
      changes: 0,
      posted: false,
      ...("name" in where ? { opened: { channel: where.channel, opening: where.opening } } : {}),
    };
    tracked.set(task.id, task);
    coalescer.set(task.id, statusSymbols.queued.symbol);
    followToOutcome(task);
    return task;
  };

  /** Put the task on the work queue (once its input is ready); a refusal is posted and fails it. */
  const enqueue = (task: Tracked, input: TaskInput | Promise<TaskInput>): Promise<void> =>
    Promise.resolve(input)
      .then((ready) => queue.enqueue({ id: task.id, input: withChannel(ready) }))
      .catch((error: unknown) => {
        const reason = isTroupeError(error) ? error.reason : errorText(error);
        logger.log("error", "surface: the work queue refused a task", { taskId: task.id, error: reason });
        void post(task, { content: `${statusSymbols.failed.symbol} not queued: ${reason}` });
        settle(task, "failed");
      });

  const catchUp = createCatchUp({
    surface,
    ledger,
    channels: options.channels,
    settings: options.catchUp ?? DEFAULT_CATCH_UP,
    clock,
    logger,
    alreadyTaken: async (message) => {
      if (message.fromBot) return false;
      const id = taskIdOf(message);
      return recent.has(message.id) || tracked.has(id) || (await queue.record(id)) !== undefined;
    },
    take: (message) => intake(message, "catch-up"),
  });
  const stopListening = surface.onMessage((message) => intake(message, "live"));
  const stopCatchingUp = surface.onConnected?.(
    (session) => void catchUp.run(session === "new" ? "a new session" : "a resumed session"),
  );

  const idle = (signal?: AbortSignal) =>
    tracked.size === 0 || signal?.aborted
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const done = () => {
            signal?.removeEventListener("abort", done);
            resolve();
          };
          idleWaiters.push(done);
          signal?.addEventListener("abort", done, { once: true });
        });

  return {
    get open() {
      return tracked.size;
    },
    stats: () => ({ ...counts, reactions: coalescer.stats() }),
    threadOf: async (taskId) => tracked.get(taskId)?.thread,
    awaitsAnswer(taskId, waits) {
      const task = tracked.get(taskId);
      if (task) awaitsHuman(task, waits);
    },
    async reconcile() {
      for (const thread of await ledger.loadThreads())
        threads.remember(thread.threadId, {
          agent: () => thread.agent,
          channel: thread.channel,
          opening: thread.opening,
        });
      const entries = await ledger.load();
      await Promise.all(entries.map(resume));
      return entries.length;
    },
    catchUp: () => catchUp.run("start"),
    startTask(item, on, from) {
      if (!accepting) return Promise.resolve();
      counts.tasks += 1;
      const text = item.input.text ?? "";
      const channel = item.input.channel ?? on.channelId;
      const task = track(
        { id: item.id, message: on, agent: item.input.agent },
        {
          name: privacy ? `task ${item.id}` : threadNameFor(text, `task ${item.id}`),
          opening: { role: "user", name: from, content: text },
          channel,
        },
      );
      return enqueue(task, { ...item.input, id: item.id });
    },
    pressure: (ms) => coalescer.pressure(ms),
    idle,
    async stop(signal) {
      accepting = false;
      stopListening();
      stopCatchingUp?.();
      const caughtUp = catchUp.stop();
      await idle(signal);
      stopFollowing.abort();
      follower.close();
      await coalescer.settled(signal);
      coalescer.close();
      await caughtUp;
      await ledger.flushed();
      unsubscribe();
    },
  };
};
