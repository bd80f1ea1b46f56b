// The local console: the team's surface when no chat is configured. It reads lines from stdin (a
// terminal or a pipe) and hands them to the console surface (ConsoleSurface.ts), on which the same
// bridge and commands run as on Discord: a line (or `@agent line`) is a task on the durable work
// queue, shown as a block of `[t-…]` lines (its status as it changes, the agent's reply as its text
// formatter writes it, then ✅; or 🔁 with the reason between attempts and ❌ with it once, at the
// end), followed to its outcome (followTask.ts: the event, and a re-check of the record); /ask,
// /status, /agents, /cancel, /retry, /fanout and /schedule are the surface's commands
// (SurfaceCommands.ts). The console keeps what only a terminal has: the prompt, the refusal of an
// over-long line, /help, /quit, and the answers to questions, approvals and polls (/answer,
// /approve, /deny, /vote, ConsoleHumanGateway.ts). On end of input or stop() it waits, within the
// drain timeout, for the tasks it started; what is left stays in the queue, and with `snapshots`
// the next start shows their end.
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import {
  DEFAULT_MAX_TASK_BYTES,
  formatMillis,
  handleSurfaceCommands,
  type Logger,
  MemorySnapshotStore,
  type SnapshotStore,
  startSurfaceBridge,
  statusSymbols,
  type Team,
  type Worker,
  type WorkQueue,
} from "@troupe/runtime";
import type { NotifierStatus } from "@troupe/runtime/notify";
import { formatNotifierStatus } from "../notify/formatNotifierStatus.ts";
import { type DrainClock, startDrainClock } from "../start/drainClock.ts";
import { type ConsoleHumanGateway, describePrompt } from "./ConsoleHumanGateway.ts";
import { CONSOLE_CHANNEL, createConsoleSurface } from "./ConsoleSurface.ts";
import { capLines } from "./capLines.ts";
import { consoleHelp, parseConsoleLine } from "./parseConsoleLine.ts";
import { printableText } from "./printable.ts";

export interface LocalConsoleOptions {
  readonly team: Team;
  /** Where tasks go; a worker elsewhere in the process (or another host) runs them on the team. */
  readonly queue: WorkQueue;
  /** This process's worker: /cancel reaches a task it leased that waits for its agent. */
  readonly worker?: Pick<Worker, "cancel">;
  /** How /status names the queue, e.g. "SQLite /srv/.troupe/default.sqlite". */
  readonly queueLabel?: string;
  /** The notifier, whose outbox (backlog per sink, holds, dead letters) /status shows. */
  readonly notifier?: { status(): Promise<NotifierStatus> };
  readonly input: Readable;
  readonly output: Writable & { readonly isTTY?: boolean };
  readonly logger: Logger;
  /** How long the tasks this console queued may take to finish once it stops. */
  readonly drainTimeoutMs: number;
  /** The drain deadline shared with the worker's stop (default: one of drainTimeoutMs of its own). */
  readonly drain?: DrainClock;
  /** A terminal gets a prompt and line editing; default: both input and output are TTYs. */
  readonly terminal?: boolean;
  /** The host's human gateway: questions and approvals are shown here and answered with /answer, /approve, /deny. */
  readonly human?: ConsoleHumanGateway;
  /** Ctrl-C typed into a terminal (readline takes it before it becomes a signal). */
  readonly onInterrupt?: () => void;
  /** In a terminal, the file the host's logs go to: named once under the banner. */
  readonly logFile?: string;
  /** A longer line is refused before it is parsed (TROUPE_MAX_TASK_BYTES; default 1 MB). */
  readonly maxTaskBytes?: number;
  /** The command that replays a task offline from its trace, printed under its outcome (when tracing). */
  readonly replayCommand?: (taskId: string) => string | undefined;
  /**
   * Where the console's open tasks are remembered (under `console/<consumer>/`), so the next start
   * shows the end of those a restart cut off; in memory only when absent.
   */
  readonly snapshots?: SnapshotStore;
  /** This host's consumer name: with a store shared by several hosts (Redis), each console keeps its own tasks. */
  readonly consumer?: string;
}

export interface LocalConsole {
  /** Resolves once its earlier run's open tasks are tracked again: start the worker after it. */
  readonly ready: Promise<void>;
  /** Resolves once input ended (or stop() was called) and the tasks it started ended or ran out of time. */
  readonly done: Promise<void>;
  /** Stop reading, and wait within the drain timeout for the tasks this console started. */
  stop(reason: string): Promise<void>;
  /** Show a line, above the prompt in a terminal (the warnings and errors of the logs). */
  print(line: string): void;
}

/** The console's keys in a store it may share with a chat surface's bridge and other hosts' consoles. */
const underConsole = (store: SnapshotStore, consumer: string): SnapshotStore => {
  const prefix = `console/${consumer}/`;
  return {
    load: (key) => store.load(prefix + key),
    save: (key, snapshot) => store.save(prefix + key, snapshot),
    delete: (key) => store.delete(prefix + key),
    keys: async (start) => (await store.keys(prefix + start)).map((key) => key.slice(prefix.length)),
  };
};

const noHuman = "this console answers no questions: the host gave it no human gateway";

export const startLocalConsole = (options: LocalConsoleOptions): LocalConsole => {
  const { team, queue, output, logger } = options;
  const maxTaskBytes = options.maxTaskBytes ?? DEFAULT_MAX_TASK_BYTES;
  const drain = options.drain ?? startDrainClock(options.drainTimeoutMs);
  const terminal = options.terminal ?? Boolean((options.input as { isTTY?: boolean }).isTTY && output.isTTY);
  const capped = terminal ? undefined : options.input.pipe(capLines(maxTaskBytes));
  const rl = createInterface({
    input: capped ?? options.input,
    ...(terminal ? { output, prompt: "troupe> " } : {}),
    terminal,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let stopping: Promise<void> | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  let printed = 0;
  const println = (raw: string) => {
    const text = printableText(raw);
    printed += 1;
    if (terminal && !stopping) {
      // Print above the prompt and redraw it with what was typed so far.
      output.write("\r\x1b[K");
      output.write(`${text}\n`);
      rl.prompt(true);
    } else {
      output.write(`${text}\n`);
    }
  };

  const agents = () => team.status().agents;
  const agentList = () =>
    agents()
      .map((agent) => agent.name)
      .join(", ");

  /** The console's replies are plain text: the agents' text formatters (defineAgent's `format`). */
  const format = team.formatterFor("text");
  const surface = createConsoleSurface(println);
  const bridge = startSurfaceBridge({
    surface,
    bus: team.bus,
    queue,
    channels: new Map([[CONSOLE_CHANNEL, null]]),
    agents: () => agents().map((agent) => agent.name),
    capabilities: () => new Set(agents().flatMap((agent) => agent.capabilities)),
    // Its one channel is no conversation: each line is remembered on its own.
    taskChannel: false,
    format,
    ...(options.replayCommand ? { replayCommand: options.replayCommand } : {}),
    // One person at a terminal, or a script piping its work: no per-user limit.
    userRate: { tasks: Number.MAX_SAFE_INTEGER, perMs: 60_000 },
    // Each status change is a line: none is coalesced away.
    reactions: { intervalMs: 0 },
    store: options.snapshots
      ? underConsole(options.snapshots, options.consumer ?? "default")
      : new MemorySnapshotStore(),
    logger,
  });
  const commands = handleSurfaceCommands({
    surface,
    team,
    queue,
    bus: team.bus,
    ...(options.worker ? { worker: options.worker } : {}),
    format,
    tasks: bridge,
    ownCommands: ["help", "quit", "answer", "approve", "deny", "vote"],
    ...(options.queueLabel === undefined ? {} : { queueLabel: options.queueLabel }),
    statusLines: async () =>
      options.notifier ? [formatNotifierStatus(await options.notifier.status())] : [],
    logger,
  });
  const ready = bridge.reconcile().then(
    (resumed) => {
      if (resumed > 0)
        logger.log("info", "console: tasks an earlier run left open are shown again", { resumed });
    },
    (error: unknown) =>
      logger.log("error", "console: the tasks an earlier run left open could not be read", { error }),
  );

  const handleLine = (line: string) => {
    // Refused before it is parsed: piped, a longer line arrives cut a byte past the limit (capLines).
    if (line.length > maxTaskBytes || Buffer.byteLength(line, "utf8") > maxTaskBytes)
      return println(
        `${statusSymbols.failed.symbol} not queued: the line is over the limit of ${maxTaskBytes} bytes (TROUPE_MAX_TASK_BYTES)`,
      );
    const command = parseConsoleLine(line);
    switch (command?.kind) {
      case undefined:
        return surface.deliver(line);
      case "help":
        return println(consoleHelp);
      case "quit":
        void stop("/quit");
        return;
      case "answer":
        return println(options.human?.answer(command.taskId, command.text) ?? noHuman);
      case "approve":
      case "deny":
        return println(
          options.human?.decide(command.taskId, command.kind === "approve", command.hash) ?? noHuman,
        );
      case "vote":
        return println(options.human?.vote(command.taskId, command.choice) ?? noHuman);
      case "error":
        return println(command.message);
    }
  };

  /** The team will run no more tasks: it is stopping, or it escalated and does not restart. */
  const endedForGood = () => {
    const { lifecycle, escalation } = team.status();
    if (lifecycle === "draining" || lifecycle === "stopped") return true;
    return escalation !== undefined && escalation.restartAt === undefined;
  };

  const finish = async (reason: string) => {
    // Closing readline emits "close", which calls stop() again: `stopping` must be set by then.
    await Promise.resolve();
    drain.start();
    logger.log("info", "console stopping: finishing the tasks it started", {
      reason,
      waiting: bridge.open,
      drainTimeoutMs: options.drainTimeoutMs,
    });
    rl.close();
    if (capped) {
      // readline paused what it read; the input itself must stop flowing too, or it keeps the process up.
      options.input.unpipe(capped);
      options.input.pause();
    }
    await ready;
    // A team that escalated for good runs nothing more: there is nothing to wait for.
    const giveUp = endedForGood() ? AbortSignal.abort() : AbortSignal.timeout(drain.remainingMs());
    // The commands first: one being handled may still start a task on the bridge.
    await commands.stop(giveUp);
    await bridge.stop(giveUp);
    if (bridge.open > 0) {
      logger.log("warn", "tasks still unfinished when the console stopped stay in the work queue", {
        tasks: bridge.open,
      });
      drain.leftWork(`${bridge.open} task${bridge.open === 1 ? "" : "s"} from the console unfinished`);
    }
    logger.log("info", "console stopped", { reason });
    resolveDone();
  };

  const stop = (reason: string): Promise<void> => {
    stopping ??= finish(reason);
    return stopping;
  };

  const detachHuman = options.human?.attach((prompt) => {
    for (const line of describePrompt(prompt)) println(line);
  });
  if (detachHuman) void done.then(detachHuman);

  const unsubscribe = team.bus.subscribe((event) => {
    if (event.type === "supervisor.escalated")
      println(
        event.restartInMs === null
          ? `⚠ the team escalated (${event.reason}): it takes no new tasks`
          : `⚠ the team escalated (${event.reason}): restarting it in ${formatMillis(event.restartInMs)}; new tasks wait in the queue`,
      );
    else if (event.type === "supervisor.restarted")
      println(`✔ the team restarted after ${formatMillis(event.downMs)}`);
  });
  void done.then(unsubscribe);

  /** Lines read before the bridge tracks its earlier run's tasks again, taken once it does. */
  let early: string[] | undefined = [];
  void ready.then(() => {
    const lines = early ?? [];
    early = undefined;
    for (const line of lines) handleLine(line);
  });
  rl.on("line", (line) => {
    if (early) return void early.push(line);
    const before = printed;
    handleLine(line);
    // println already redrew the prompt when the command printed anything.
    if (terminal && !stopping && printed === before) rl.prompt();
  });
  rl.on("close", () => void stop("end of input"));
  rl.on("SIGINT", () => (options.onInterrupt ? options.onInterrupt() : void stop("interrupt")));

  if (terminal) {
    println(`Troupe local console. Agents: ${agentList()}. Type /help for commands, Ctrl-D to quit.`);
    if (options.logFile) println(`Logs go to ${options.logFile}; warnings and errors show here too.`);
  }
  logger.log("info", "console ready", { agents: agents().map((agent) => agent.name), terminal });

  return { ready, done, stop, print: println };
};
