// The local console: the team's surface when no chat is configured. It reads commands line by line
// from stdin (a terminal or a pipe) and puts tasks on the durable work queue (the worker runs them on
// the team, under the same ids), prints each task's status from the bus with the same symbols Discord
// will use, and every queue task's end (✅ with its result, or ❌ once) from the queue's record,
// followed to its outcome (followTask.ts): the tasks it queued, and those it sees leased (a task an
// earlier life of the host queued and this one resumed, or another host's). A queued task's failed
// attempt is not its end: the worker's 🔁 (attempt, reason) or the dead letter's ❌ (reason) says
// what became of it. On end of input or stop() it waits, within the drain timeout, for the tasks it
// queued; what is left stays in the queue for the next start.
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import {
  type AgentStatus,
  cancelTask,
  cancelText,
  createTaskFollower,
  DEFAULT_MAX_TASK_BYTES,
  type EndedRecord,
  formatMillis,
  formatTable,
  isTroupeError,
  type Logger,
  newId,
  retryOfDeadLetter,
  retryText,
  statusSymbols,
  statusText,
  type TaskEvent,
  type TaskInput,
  type Team,
  teamStateText,
  type Worker,
  type WorkQueue,
} from "@troupe/runtime";
import type { NotifierStatus } from "@troupe/runtime/notify";
import { formatNotifierStatus } from "../notify/formatNotifierStatus.ts";
import { type DrainClock, startDrainClock } from "../start/drainClock.ts";
import { type ConsoleHumanGateway, describePrompt } from "./ConsoleHumanGateway.ts";
import { capLines } from "./capLines.ts";
import { consoleHelp, needsOf, parseConsoleLine } from "./parseConsoleLine.ts";
import { printableLine, printableText } from "./printable.ts";
import { formatQueueStatus } from "./queueStatus.ts";

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
}

export interface LocalConsole {
  /** Resolves once input ended (or stop() was called) and the tasks it queued ended or ran out of time. */
  readonly done: Promise<void>;
  /** Stop reading, and wait within the drain timeout for the tasks this console queued. */
  stop(reason: string): Promise<void>;
  /** Show a line, above the prompt in a terminal (the warnings and errors of the logs). */
  print(line: string): void;
}

/** What the console has shown of one task's current run so far. */
interface Shown {
  queued: boolean;
  /** A sub-task an agent delegated: it runs on the team only, so its failure is its end. */
  delegated: boolean;
}

/** A queue task whose end this console prints from the record: "✅ done" waits for the result, to print them together. */
interface Followed {
  agent: string | undefined;
  doneIn: string | undefined;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
/** The task's real end on the queue: ❌ once, with why its last attempt failed. */
const deadText = (attempts: number, reason: string | undefined) =>
  `${statusText("failed", `after ${plural(attempts, "attempt")}`)}: ${reason ?? "no reason recorded"}; kept as a dead letter (see /status)`;

const breakerText = (agent: AgentStatus) => {
  const state = agent.breaker.replace("_", "-");
  return agent.failures > 0 ? `${state} (${agent.failures} failed)` : state;
};

export const startLocalConsole = (options: LocalConsoleOptions): LocalConsole => {
  const { team, queue, output, logger } = options;
  const maxTaskBytes = options.maxTaskBytes ?? DEFAULT_MAX_TASK_BYTES;
  const drain = options.drain ?? startDrainClock(options.drainTimeoutMs);
  const follower = createTaskFollower(queue, team.bus);
  /** A result as plain text, by its agent's own formatter (defineAgent's `format`). */
  const formatText = team.formatterFor("text");
  /** Aborted when the console stops waiting for its tasks. */
  const giveUp = new AbortController();
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
  const hasAgent = (name: string) => agents().some((agent) => agent.name === name);

  // Every task's status lines come from the bus, in the order they were published. A task this
  // console queued prints "✅ done" once the queue recorded its result, with the result after it.
  const shown = new Map<string, Shown>();
  /** The tasks this console queued (it waits for them when it stops). */
  const owned = new Map<string, Followed>();
  /** Queue tasks it saw leased but did not queue (resumed after a restart, or another host's). */
  const adopted = new Map<string, Followed>();
  const followedOf = (taskId: string) => owned.get(taskId) ?? adopted.get(taskId);
  const shownOf = (taskId: string): Shown => {
    let entry = shown.get(taskId);
    if (!entry) {
      entry = { queued: false, delegated: false };
      shown.set(taskId, entry);
    }
    return entry;
  };
  const noteAgent = (taskId: string, agent: string) => {
    const followed = followedOf(taskId);
    if (followed) followed.agent = agent;
  };
  const say = (taskId: string, text: string) => println(`[${printableLine(taskId)}] ${printableLine(text)}`);
  const showQueued = (taskId: string, entry: Shown, detail?: string) => {
    if (!entry.queued) say(taskId, statusText("queued", detail));
    entry.queued = true;
  };

  const showTaskEvent = (event: TaskEvent) => {
    const { taskId } = event;
    const entry = shownOf(taskId);
    switch (event.type) {
      case "task.queued":
        entry.delegated = event.parentTaskId !== null;
        if (event.agent) {
          noteAgent(taskId, event.agent);
          showQueued(taskId, entry, `(${event.agent})`);
        }
        return;
      case "task.routed":
        noteAgent(taskId, event.agent);
        return showQueued(taskId, entry, `(${event.agent}, by ${event.rule})`);
      case "task.claimed":
        noteAgent(taskId, event.agent);
        return say(
          taskId,
          statusText("claimed", `by ${event.agent}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`),
        );
      case "task.started":
        return say(taskId, statusText("working"));
      case "task.approval":
        // A decision made here is printed by /approve or /deny; one that ran out is said here.
        if (event.decision === "expired")
          say(taskId, `⌛ the approval of #${event.hash.slice(0, 8)} expired unanswered`);
        return;
      case "task.resumed":
        return say(taskId, statusText("working", "again"));
      case "task.progress":
        return say(taskId, `${statusText("working")}: ${event.message}`);
      case "task.awaiting_human":
        return say(taskId, `${statusText("awaiting_human")}: ${event.question}`);
      case "task.retrying":
        return say(taskId, retryText(taskId, event));
      case "task.succeeded": {
        shown.delete(taskId);
        const doneIn = formatMillis(event.durationMs);
        const followed = followedOf(taskId);
        if (followed) {
          followed.doneIn = doneIn; // printed with its result
          return;
        }
        return say(taskId, statusText("succeeded", `in ${doneIn}`));
      }
      case "task.failed":
        shown.delete(taskId);
        // A queued task's attempt failed: 🔁 or the dead letter's ❌ follows, from the worker.
        if (!entry.delegated) return;
        showQueued(taskId, entry);
        return say(taskId, `${statusText("failed")}: ${event.error.reason}`);
      case "task.cancelled":
        shown.delete(taskId);
        showQueued(taskId, entry);
        return say(taskId, `${statusText("cancelled")}: ${event.reason}`);
      case "heartbeat.missed":
        return say(
          taskId,
          `⚠ ${event.agent} missed its heartbeat deadline (${formatMillis(event.deadlineMs)})`,
        );
      case "deadlock.detected":
        return say(taskId, `⚠ deadlock: ${event.cycle.join(" → ")}`);
      case "task.dead_lettered":
        shown.delete(taskId);
        if (followedOf(taskId)) return; // printed once the queue's record says so
        return say(taskId, deadText(event.attempts, event.error.reason));
      case "task.result_refused":
        return say(taskId, `⚠ ${event.reason}`);
      case "task.leased":
        return adopt(taskId);
      case "task.emitted":
      case "task.recorded":
        return; // an agent's own events, and the queue's bookkeeping: nothing to show
    }
  };

  const followers = new Set<Promise<void>>();
  const track = (work: Promise<void>, taskId: string) => {
    const tracked = work.catch((error: unknown) =>
      logger.log("error", "console could not show a task's result", { taskId, error }),
    );
    followers.add(tracked);
    void tracked.finally(() => followers.delete(tracked));
  };

  /** Put a task on the queue and, once the queue recorded its end, show its result. */
  const enqueueAndFollow = async (input: TaskInput, id: string) => {
    const mine: Followed = { agent: input.agent, doneIn: undefined };
    owned.set(id, mine);
    try {
      await queue.enqueue({ id, input });
    } catch (error) {
      owned.delete(id);
      const notQueued = `${statusSymbols.failed.symbol} not queued:`;
      if (isTroupeError(error, "MailboxFull") || isTroupeError(error, "InvalidTask"))
        return println(`${notQueued} ${error.reason}`);
      logger.log("error", "the work queue refused a task", { taskId: id, error });
      return println(`${notQueued} ${error instanceof Error ? error.message : String(error)}`);
    }
    // Queued now: a task for a named agent says so at once, though it may wait for its agent before the
    // team sees it; a routed one says where it went once routed.
    if (input.agent !== undefined && !shown.has(id)) showQueued(id, shownOf(id), `(${input.agent})`);
    const record = await follower.follow(id, giveUp.signal);
    owned.delete(id);
    showEnd(id, mine, record);
  };

  /** A queue task's end, once: ✅ with its result, or ❌ with why its last attempt failed. */
  const showEnd = (id: string, followed: Followed, record: EndedRecord | undefined) => {
    if (record?.status === "succeeded") {
      say(id, statusText("succeeded", followed.doneIn === undefined ? undefined : `in ${followed.doneIn}`));
      const text = formatText(followed.agent ?? "", record.output);
      if (text !== "") println(text);
    } else if (record?.status === "dead") {
      say(id, deadText(record.attempts, record.error?.reason));
    }
    // Cancelled: printed from its event. Undefined: the console stopped first; the task stays queued.
  };

  /** A queue task this console did not queue: its end is shown from the record like its own. */
  const adopt = (taskId: string) => {
    if (followedOf(taskId)) return;
    const followed: Followed = { agent: undefined, doneIn: undefined };
    adopted.set(taskId, followed);
    void follower.follow(taskId, giveUp.signal).then((record) => {
      adopted.delete(taskId);
      showEnd(taskId, followed, record);
    });
  };

  /** The team will run no more tasks: it is stopping, or it escalated and does not restart. */
  const endedForGood = () => {
    const { lifecycle, escalation } = team.status();
    if (lifecycle === "draining" || lifecycle === "stopped") return true;
    return escalation !== undefined && escalation.restartAt === undefined;
  };

  const submit = (input: TaskInput) => {
    // While the team restarts after an escalation, tasks wait in the queue for it.
    if (endedForGood()) {
      println("the team is shutting down and takes no new tasks");
      return;
    }
    const id = newId("t");
    track(enqueueAndFollow(input, id), id);
  };

  const retry = async (taskId: string) => {
    const item = await retryOfDeadLetter(queue, taskId);
    if (!item) return println(`no dead letter has the id "${taskId}"`);
    say(item.id, `${statusText("retrying")} dead letter ${taskId} as a new task`);
    await enqueueAndFollow(item.input, item.id);
  };

  const cancel = async (taskId: string) => {
    const outcome = await cancelTask(
      { team, queue, bus: team.bus, ...(options.worker ? { worker: options.worker } : {}) },
      taskId,
      "cancelled from the console",
    );
    // A cancelled task's 🚫 line comes from its event.
    if (outcome !== "cancelled" && outcome !== "withdrawn") println(cancelText(taskId, outcome));
  };

  const showAgents = () => {
    const rows = agents().map((agent) => [
      agent.name,
      agent.state,
      agent.capabilities.join(", ") || "-",
      breakerText(agent),
      String(agent.queue),
    ]);
    println(formatTable([["agent", "state", "capabilities", "breaker", "queue"], ...rows]));
  };

  const showStatus = async () => {
    const status = team.status();
    const state = teamStateText(status);
    println(
      `team: ${state}, ${status.queued} queued, ${status.inFlight} in flight, ${status.fanOuts} fan-outs`,
    );
    const rows = status.agents.map((agent) => [
      agent.name,
      agent.state,
      breakerText(agent),
      String(agent.queue),
      agent.task ?? "-",
      String(agent.restarts),
    ]);
    println(formatTable([["agent", "state", "breaker", "queue", "task", "restarts"], ...rows]));
    const [stats, deadLetters] = await Promise.all([queue.stats(), queue.deadLetters(10)]);
    println(formatQueueStatus(options.queueLabel ?? "work queue", stats, deadLetters));
    if (options.notifier) println(formatNotifierStatus(await options.notifier.status()));
  };

  const inBackground = (work: Promise<void>, what: string) =>
    void work.catch((error: unknown) => {
      logger.log("error", `console: ${what} failed`, { error });
      println(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    });

  const handleLine = (line: string) => {
    // Refused before it is parsed: piped, a longer line arrives cut a byte past the limit (capLines).
    if (line.length > maxTaskBytes || Buffer.byteLength(line, "utf8") > maxTaskBytes)
      return println(
        `${statusSymbols.failed.symbol} not queued: the line is over the limit of ${maxTaskBytes} bytes (TROUPE_MAX_TASK_BYTES)`,
      );
    const command = parseConsoleLine(line);
    switch (command.kind) {
      case "empty":
        return;
      case "help":
        return println(consoleHelp);
      case "agents":
        return showAgents();
      case "status":
        return inBackground(showStatus(), "/status");
      case "quit":
        void stop("/quit");
        return;
      case "ask":
        if (!hasAgent(command.agent))
          return println(`unknown agent "${command.agent}": the agents are ${agentList()}`);
        return submit({ text: command.text, agent: command.agent, from: "console" });
      case "cancel":
        return inBackground(cancel(command.taskId), "/cancel");
      case "retry":
        return track(retry(command.taskId), command.taskId);
      case "mention":
        if (!hasAgent(command.agent))
          return println(`unknown agent "@${command.agent}": the agents are ${agentList()}`);
        return submit({ text: command.text, from: "console" });
      case "text": {
        const capabilities = new Set(agents().flatMap((agent) => agent.capabilities));
        return submit({ text: command.text, needs: needsOf(command.text, capabilities), from: "console" });
      }
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

  const finish = async (reason: string) => {
    // Closing readline emits "close", which calls stop() again: `stopping` must be set by then.
    await Promise.resolve();
    drain.start();
    logger.log("info", "console stopping: finishing the tasks it queued", {
      reason,
      waiting: owned.size,
      drainTimeoutMs: options.drainTimeoutMs,
    });
    rl.close();
    if (capped) {
      // readline paused what it read; the input itself must stop flowing too, or it keeps the process up.
      options.input.unpipe(capped);
      options.input.pause();
    }
    // A team that escalated for good runs nothing more: there is nothing to wait for.
    if (!endedForGood()) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...followers]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, drain.remainingMs());
        }),
      ]);
      clearTimeout(timer);
    }
    giveUp.abort();
    await Promise.allSettled([...followers]);
    follower.close();
    if (owned.size > 0) {
      logger.log("warn", "tasks still unfinished when the console stopped stay in the work queue", {
        tasks: [...owned.keys()],
      });
      drain.leftWork(`${owned.size} task${owned.size === 1 ? "" : "s"} from the console unfinished`);
    }
    logger.log("info", "console stopped", { reason });
    resolveDone();
  };

  const stop = (reason: string): Promise<void> => {
    stopping ??= finish(reason);
    return stopping;
  };

  const noHuman = "this console answers no questions: the host gave it no human gateway";
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
    else if ("taskId" in event) showTaskEvent(event);
  });
  void done.then(unsubscribe);

  rl.on("line", (line) => {
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

  return { done, stop, print: println };
};
