// The local console: the team's surface when no chat is configured. It reads commands line by line
// from stdin (a terminal or a pipe), prints each task's status with the same symbols Discord will
// use, and on end of input or stop() lets running work finish before it reports itself done.
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import {
  type AgentStatus,
  formatMillis,
  isTroupeError,
  type Logger,
  type Run,
  type TaskEvent,
  type TaskInput,
  type Team,
} from "@troupe/runtime";
import { formatResult } from "./formatResult.ts";
import { formatTable } from "./formatTable.ts";
import { consoleHelp, needsOf, parseConsoleLine } from "./parseConsoleLine.ts";
import { statusText } from "./statusSymbols.ts";

export interface LocalConsoleOptions {
  readonly team: Team;
  readonly input: Readable;
  readonly output: Writable & { readonly isTTY?: boolean };
  readonly logger: Logger;
  /** How long running tasks may take to finish once the console stops. */
  readonly drainTimeoutMs: number;
  /** A terminal gets a prompt and line editing; default: both input and output are TTYs. */
  readonly terminal?: boolean;
  /** Ctrl-C typed into a terminal (readline takes it before it becomes a signal). */
  readonly onInterrupt?: () => void;
}

export interface LocalConsole {
  /** Resolves once input ended (or stop() was called) and the team drained. */
  readonly done: Promise<void>;
  /** Stop reading, let running tasks finish within the drain timeout, drain the team. */
  stop(reason: string): Promise<void>;
}

/** What the console has shown of one task so far. */
interface Shown {
  agent: string | undefined;
  queued: boolean;
  /** Submitted from this console: "✅ done" waits for the result, to print them together. */
  owned: boolean;
  doneIn: string | undefined;
}

// After the team drained, every task has ended; this only bounds printing their last lines.
const FOLLOWER_GRACE_MS = 2_000;

const breakerText = (agent: AgentStatus) => {
  const state = agent.breaker.replace("_", "-");
  return agent.failures > 0 ? `${state} (${agent.failures} failed)` : state;
};

export const startLocalConsole = (options: LocalConsoleOptions): LocalConsole => {
  const { team, output, logger } = options;
  const terminal = options.terminal ?? Boolean((options.input as { isTTY?: boolean }).isTTY && output.isTTY);
  const rl = createInterface({
    input: options.input,
    ...(terminal ? { output, prompt: "troupe> " } : {}),
    terminal,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const followers = new Set<Promise<void>>();
  let stopping: Promise<void> | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  let printed = 0;
  const println = (text: string) => {
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

  // Every task's status lines come from the bus, in the order the team published them. A task this
  // console submitted prints "✅ done" when its result arrives, with the result right after it.
  const shown = new Map<string, Shown>();
  const shownOf = (taskId: string): Shown => {
    let entry = shown.get(taskId);
    if (!entry) {
      entry = { agent: undefined, queued: false, owned: false, doneIn: undefined };
      shown.set(taskId, entry);
    }
    return entry;
  };
  const say = (taskId: string, text: string) => println(`[${taskId}] ${text}`);
  const showQueued = (taskId: string, entry: Shown, detail?: string) => {
    if (!entry.queued) say(taskId, statusText("queued", detail));
    entry.queued = true;
  };

  const showTaskEvent = (event: TaskEvent) => {
    const { taskId } = event;
    const entry = shownOf(taskId);
    switch (event.type) {
      case "task.queued":
        if (event.agent) {
          entry.agent = event.agent;
          showQueued(taskId, entry, `(${event.agent})`);
        }
        return;
      case "task.routed":
        entry.agent = event.agent;
        return showQueued(taskId, entry, `(${event.agent}, by ${event.rule})`);
      case "task.claimed":
        entry.agent = event.agent;
        return say(
          taskId,
          statusText("claimed", `by ${event.agent}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`),
        );
      case "task.started":
        return say(taskId, statusText("working"));
      case "task.resumed":
        return say(taskId, statusText("working", "again"));
      case "task.progress":
        return say(taskId, `${statusText("working")}: ${event.message}`);
      case "task.awaiting_human":
        return say(taskId, `${statusText("awaiting_human")}: ${event.question}`);
      case "task.retrying":
        return say(taskId, `${statusText("retrying")} (attempt ${event.attempt}): ${event.reason}`);
      case "task.succeeded":
        entry.doneIn = formatMillis(event.durationMs);
        if (entry.owned) return; // printed with its result
        shown.delete(taskId);
        return say(taskId, statusText("succeeded", `in ${entry.doneIn}`));
      case "task.failed":
        shown.delete(taskId);
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
      case "task.emitted":
        return; // an agent's own events; nothing to show for these agents yet
    }
  };

  const follow = async (run: Run) => {
    const entry = shownOf(run.id);
    entry.owned = true;
    let output: unknown;
    try {
      output = await run.result;
    } catch {
      return; // the failure was printed from its event
    } finally {
      shown.delete(run.id);
    }
    const text = formatResult(entry.agent ?? "", output);
    if (entry.doneIn !== undefined) say(run.id, statusText("succeeded", `in ${entry.doneIn}`));
    if (text !== "") println(text);
  };

  const submit = (input: TaskInput) => {
    if (!team.status().accepting) {
      println("the team is shutting down and takes no new tasks");
      return;
    }
    let run: Run;
    try {
      run = team.submit(input);
    } catch (error) {
      println(`${statusText("failed")}: ${isTroupeError(error) ? error.reason : String(error)}`);
      return;
    }
    const follower = follow(run).catch((error: unknown) =>
      logger.log("error", "console could not show a task's result", { taskId: run.id, error }),
    );
    followers.add(follower);
    void follower.finally(() => followers.delete(follower));
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

  const showStatus = () => {
    const status = team.status();
    const state = status.escalated ? "escalated" : status.accepting ? "accepting tasks" : "draining";
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
  };

  const handleLine = (line: string) => {
    const command = parseConsoleLine(line);
    switch (command.kind) {
      case "empty":
        return;
      case "help":
        return println(consoleHelp);
      case "agents":
        return showAgents();
      case "status":
        return showStatus();
      case "quit":
        void stop("/quit");
        return;
      case "ask":
        if (!hasAgent(command.agent))
          return println(`unknown agent "${command.agent}": the agents are ${agentList()}`);
        return submit({ text: command.text, agent: command.agent, from: "console" });
      case "cancel":
        if (!team.cancel(command.taskId, "cancelled from the console"))
          println(`no queued or running task has the id "${command.taskId}"`);
        return;
      case "mention":
        if (!hasAgent(command.agent))
          return println(`unknown agent "@${command.agent}": the agents are ${agentList()}`);
        return submit({ text: command.text, from: "console" });
      case "text": {
        const capabilities = new Set(agents().flatMap((agent) => agent.capabilities));
        return submit({ text: command.text, needs: needsOf(command.text, capabilities), from: "console" });
      }
      case "error":
        return println(command.message);
    }
  };

  const finish = async (reason: string) => {
    // Closing readline emits "close", which calls stop() again: `stopping` must be set by then.
    await Promise.resolve();
    logger.log("info", "console stopping: finishing running tasks", {
      reason,
      inFlight: team.status().inFlight,
      drainTimeoutMs: options.drainTimeoutMs,
    });
    rl.close();
    await team.drain({ deadline: options.drainTimeoutMs });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...followers]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, FOLLOWER_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    logger.log("info", "console stopped", { reason });
    resolveDone();
  };

  const stop = (reason: string): Promise<void> => {
    stopping ??= finish(reason);
    return stopping;
  };

  const unsubscribe = team.bus.subscribe((event) => {
    if (event.type === "supervisor.escalated")
      println(`⚠ the team escalated (${event.reason}): it takes no new tasks`);
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
  }
  logger.log("info", "console ready", { agents: agents().map((agent) => agent.name), terminal });

  return { done, stop };
};
