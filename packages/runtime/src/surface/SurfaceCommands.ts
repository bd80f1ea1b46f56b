// The commands a chat surface offers (slash commands on Discord): /ask puts a task on the durable
// queue and answers with its result, /status shows the team and the queue, /agents the agents,
// /cancel cancels a task, running or still waiting in the queue. Each is acknowledged at once
// (deferred) and answered when ready; a command that cannot work is answered at once, visible only to
// whoever ran it, saying what to do.
import { cancelTask, cancelText } from "../durable/cancelTask.ts";
import type { WorkQueue } from "../durable/WorkQueue.ts";
import { isTroupeError } from "../errors/TroupeError.ts";
import type { EventBus } from "../events/EventBus.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import type { Team } from "../supervisor/Team.ts";
import { newId } from "../task/Task.ts";
import { formatOutput } from "./formatOutput.ts";
import { planReply } from "./planReply.ts";
import type { InboundCommand, Surface } from "./Surface.ts";
import { statusText } from "./statusSymbols.ts";

export interface SurfaceCommandsOptions {
  readonly surface: Surface;
  readonly team: Team;
  readonly queue: WorkQueue;
  readonly bus: EventBus;
  /** A task's output as text (default: `{ text }`, a string, or JSON). */
  readonly format?: (agent: string, output: unknown) => string;
  /** How long /ask waits for a result before saying where to look (default 14 minutes: Discord's token lasts 15). */
  readonly answerWithinMs?: number;
  readonly logger?: Logger;
}

export interface SurfaceCommands {
  /** Commands being answered now. */
  readonly busy: number;
  /** Take no new commands; wait for the ones being answered (until `signal` aborts). */
  stop(signal?: AbortSignal): Promise<void>;
}

/** The commands, for registration on a surface (names, descriptions and options). */
export const SURFACE_COMMANDS = [
  {
    name: "ask",
    description: "Give a task to one agent",
    options: [
      { name: "agent", description: "The agent (see /agents)", required: true },
      { name: "text", description: "What to do", required: true },
    ],
  },
  { name: "status", description: "The team, its queue and the latest dead letters", options: [] },
  { name: "agents", description: "The agents: state, capabilities, breaker", options: [] },
  {
    name: "cancel",
    description: "Cancel a task, running or still waiting in the queue",
    options: [{ name: "task", description: "The task id (t-…)", required: true }],
  },
] as const;

const table = (rows: readonly (readonly string[])[]): string => {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd(),
  );
  return `\`\`\`\n${lines.join("\n")}\n\`\`\``;
};

export const handleSurfaceCommands = (options: SurfaceCommandsOptions): SurfaceCommands => {
  const { surface, team, queue, bus } = options;
  const logger = options.logger ?? silentLogger;
  const format = options.format ?? formatOutput;
  const answerWithinMs = options.answerWithinMs ?? 14 * 60_000;
  const running = new Set<Promise<void>>();
  const stopping = new AbortController();
  let accepting = true;

  const agentNames = () => team.status().agents.map((agent) => agent.name);

  const ask = async (command: InboundCommand) => {
    const agent = command.options.agent ?? "";
    const text = (command.options.text ?? "").trim();
    if (!agentNames().includes(agent))
      return command.reply(
        `Unknown agent "${agent}": the agents are ${agentNames().join(", ")} (see /agents).`,
        {
          ephemeral: true,
        },
      );
    if (text === "")
      return command.reply("/ask needs some text: what should the agent do?", { ephemeral: true });
    if (!team.status().accepting)
      return command.reply("The team is shutting down and takes no new tasks; try again shortly.", {
        ephemeral: true,
      });
    await command.defer();
    const id = newId("t");
    // Listen before enqueueing, so an outcome recorded in between is not missed.
    const recorded = bus.waitFor(
      (event) =>
        (event.type === "task.recorded" || event.type === "task.dead_lettered") && event.taskId === id,
      AbortSignal.any([stopping.signal, AbortSignal.timeout(answerWithinMs)]),
    );
    recorded.catch(() => {});
    try {
      await queue.enqueue({
        id,
        input: { id, text, agent, channel: command.channelName ?? command.channelId, from: command.userId },
      });
    } catch (error) {
      return command.reply(
        `${statusText("failed")}: not queued: ${isTroupeError(error) ? error.reason : String(error)}`,
      );
    }
    try {
      await recorded;
    } catch {
      return command.reply(`${statusText("working")}: task ${id} is still running; /status shows it.`);
    }
    const record = await queue.record(id);
    if (record?.status === "succeeded") {
      const plan = planReply(format(agent, record.output), { maxChars: surface.maxMessageChars });
      if (plan.messages.length === 0)
        return command.reply(statusText("succeeded", `(task ${id}, empty reply)`));
      for (const [index, content] of plan.messages.entries()) {
        const last = index === plan.messages.length - 1;
        await command.reply(content, last && plan.file ? { files: [plan.file] } : {});
      }
      return;
    }
    if (record?.status === "cancelled") return command.reply(statusText("cancelled", `(task ${id})`));
    return command.reply(`${statusText("failed")} (task ${id}): ${record?.error?.reason ?? "unknown error"}`);
  };

  const status = async (command: InboundCommand) => {
    await command.defer();
    const team_ = team.status();
    const state = team_.escalated ? "escalated" : team_.accepting ? "accepting tasks" : "draining";
    const [stats, dead] = await Promise.all([queue.stats(), queue.deadLetters(5)]);
    const agents = table([
      ["agent", "state", "breaker", "queue", "task"],
      ...team_.agents.map((agent) => [
        agent.name,
        agent.state,
        agent.breaker,
        String(agent.queue),
        agent.task ?? "-",
      ]),
    ]);
    const deadLines = dead.map((letter) => `- ${letter.taskId}: ${letter.error.tag}: ${letter.error.reason}`);
    await command.reply(
      [
        `Team: ${state}, ${team_.queued} queued, ${team_.inFlight} in flight.`,
        agents,
        `Work queue: ${stats.ready} ready, ${stats.leased} leased, ${stats.delayed} delayed, ${stats.dead} dead.`,
        ...(deadLines.length > 0 ? ["Latest dead letters:", ...deadLines] : []),
      ].join("\n"),
    );
  };

  const agents = async (command: InboundCommand) => {
    await command.defer();
    await command.reply(
      table([
        ["agent", "state", "capabilities", "breaker"],
        ...team
          .status()
          .agents.map((agent) => [
            agent.name,
            agent.state,
            agent.capabilities.join(", ") || "-",
            agent.breaker,
          ]),
      ]),
    );
  };

  const cancel = async (command: InboundCommand) => {
    const id = (command.options.task ?? "").trim();
    await command.defer({ ephemeral: true });
    const outcome = await cancelTask({ team, queue, bus }, id, `cancelled by ${command.userId} with /cancel`);
    const text = cancelText(id, outcome);
    await command.reply(outcome === "cancelled" || outcome === "withdrawn" ? `🚫 ${text}` : text, {
      ephemeral: true,
    });
  };

  const handlers: Record<string, (command: InboundCommand) => Promise<void>> = {
    ask,
    status,
    agents,
    cancel,
  };

  const stopListening =
    surface.onCommand?.((command) => {
      const handler = handlers[command.name];
      const work = (async () => {
        if (!accepting)
          return command.reply("Troupe is stopping and takes no commands now.", { ephemeral: true });
        if (!handler)
          return command.reply(
            `Unknown command /${command.name}: the commands are /ask, /status, /agents, /cancel.`,
            {
              ephemeral: true,
            },
          );
        await handler(command);
      })().catch((error: unknown) => {
        logger.log("error", "surface: a command failed", {
          command: command.name,
          error: error instanceof Error ? error.message : String(error),
        });
        return command
          .reply(`/${command.name} failed: ${error instanceof Error ? error.message : String(error)}`, {
            ephemeral: true,
          })
          .catch(() => {});
      });
      running.add(work);
      void work.finally(() => running.delete(work));
    }) ?? (() => {});

  return {
    get busy() {
      return running.size;
    },
    async stop(signal) {
      accepting = false;
      const abort = () => stopping.abort();
      if (signal?.aborted) abort();
      signal?.addEventListener("abort", abort, { once: true });
      await Promise.allSettled([...running]);
      signal?.removeEventListener("abort", abort);
      stopListening();
    },
  };
};
