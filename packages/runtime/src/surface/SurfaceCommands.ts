// The commands a chat surface offers (slash commands on Discord, listed in surfaceCommandList.ts):
// /ask puts a task on the durable queue and answers with its result (with the command that replays
// it offline as a footer, when the host recorded it, as under a task's reply in its thread), /fanout asks several agents at
// once and joins their answers, /status shows the team and the queue, /agents the agents, /cancel
// cancels a task (running, or still waiting in the queue), /retry queues a dead letter again,
// /schedule adds, lists and cancels scheduled tasks (whose runs are answered in the channel they were
// scheduled from, and with `notify` also sent to the notifier). Each is
// acknowledged at once (deferred) and answered when ready; a command that cannot work is answered at
// once, visible only to whoever ran it, saying what to do. On a surface where a command is written as
// a message (the host's console), /ask and /retry hand their task to the bridge (`tasks`), which
// shows it as that message's task, as it shows any other.

import { cancelTask, cancelText } from "../durable/cancelTask.ts";
import type { Worker } from "../durable/DurableWorker.ts";
import { createTaskFollower } from "../durable/followTask.ts";
import { retryOfDeadLetter } from "../durable/retryOfDeadLetter.ts";
import type { TaskRecord, WorkItem, WorkQueue } from "../durable/WorkQueue.ts";
import { isTroupeError } from "../errors/TroupeError.ts";
import type { EventBus } from "../events/EventBus.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import { isTaskNotify } from "../notify/taskOutcomeAlert.ts";
import type { FanOutBranchResult } from "../supervisor/FanOutJoins.ts";
import { joinName } from "../supervisor/joinPolicy.ts";
import type { Team } from "../supervisor/Team.ts";
import { newId } from "../task/Task.ts";
import { formatTable } from "../text/formatTable.ts";
import { fanOutAnswer, parseJoin } from "./fanOutAnswer.ts";
import { replayFooter } from "./outcomePosts.ts";
import { planReply } from "./planReply.ts";
import type { InboundCommand, Surface, SurfaceEmbed, SurfaceFile } from "./Surface.ts";
import { type SurfaceBridge, taskIdOfMessage } from "./SurfaceBridge.ts";
import type { SurfaceSchedule, SurfaceSchedules } from "./SurfaceSchedules.ts";
import { statusEmbeds } from "./statusEmbeds.ts";
import { statusText } from "./statusSymbols.ts";
import { commandNames, type SurfaceCommandName } from "./surfaceCommandList.ts";
import { teamStateText } from "./teamStateText.ts";

export { SURFACE_COMMANDS } from "./surfaceCommandList.ts";

export interface SurfaceCommandsOptions {
  readonly surface: Surface;
  readonly team: Team;
  readonly queue: WorkQueue;
  readonly bus: EventBus;
  /** This host's worker: /cancel reaches a task it leased that waits for its agent. */
  readonly worker?: Pick<Worker, "cancel">;
  /** Scheduled tasks for /schedule; without it /schedule says the host has no scheduler. */
  readonly schedules?: SurfaceSchedules;
  /** Commands the surface answers itself (the console's /help, /quit, …), named in "Unknown command". */
  readonly ownCommands?: readonly string[];
  /** A task's output as chat text by agent name (default: the team's agents' markdown formatters). */
  readonly format?: (agent: string, output: unknown) => string;
  /**
   * How long /ask answers in its own reply (default 14 minutes: Discord's token lasts 15); a task
   * still running then is answered in the channel once it ends.
   */
  readonly answerWithinMs?: number;
  /** How often a followed task's record is read again when no event named it (followTask.ts). */
  readonly recheckMs?: number;
  /**
   * Where a task started by a command written as a message (`InboundCommand.message`) is shown: the
   * bridge, as a task of that message (status reactions, outcome in its thread). Without it, or for
   * a command that is no message (a Discord slash command), the command's answer carries the outcome.
   */
  readonly tasks?: Pick<SurfaceBridge, "startTask">;
  /**
   * The command that re-runs a task offline (`troupe replay … --task …`), when the host recorded it:
   * the answer of a task /ask or /retry queued carries it as a footer, like the bridge's outcome posts.
   */
  readonly replayCommand?: (taskId: string) => string | undefined;
  /** How /status names the work queue, e.g. "SQLite /srv/.troupe/default.sqlite". */
  readonly queueLabel?: string;
  /** Lines /status adds under the queue's (the notifier's outbox). */
  readonly statusLines?: () => Promise<readonly string[]>;
  readonly logger?: Logger;
}

export interface SurfaceCommands {
  /** Commands being answered now. */
  readonly busy: number;
  /** Take no new commands; wait for the ones being answered (until `signal` aborts). */
  stop(signal?: AbortSignal): Promise<void>;
}

/** Sends one message of an answer: a command's reply, or a post in a channel. */
type Send = (
  content: string,
  files?: readonly SurfaceFile[],
  embeds?: readonly SurfaceEmbed[],
) => Promise<unknown>;

/** Columns in a code block, so a chat shows them aligned. */
const table = (rows: readonly (readonly string[])[]): string => `\`\`\`\n${formatTable(rows)}\n\`\`\``;

const errorText = (error: unknown) =>
  isTroupeError(error) ? error.reason : error instanceof Error ? error.message : String(error);

const when = (at: number | null) => (at === null ? "never again" : new Date(at).toISOString());

/** What a scheduled task runs: "@agent text", or the text alone when the team routes it. */
const taskOf = (schedule: SurfaceSchedule) =>
  `${schedule.agent ? `@${schedule.agent} ` : ""}${schedule.text}`;

const scheduleLine = (schedule: SurfaceSchedule) =>
  `- \`${schedule.id}\` ${schedule.schedule} · next ${when(schedule.nextRunAt)} · ${schedule.runs} run${schedule.runs === 1 ? "" : "s"}${schedule.notify ? ` · notify ${schedule.notify}` : ""} → ${taskOf(schedule)}`;

const ephemeral = { ephemeral: true } as const;

export const handleSurfaceCommands = (options: SurfaceCommandsOptions): SurfaceCommands => {
  const { surface, team, queue, bus, schedules } = options;
  const logger = options.logger ?? silentLogger;
  const format = options.format ?? team.formatterFor("markdown");
  const answerWithinMs = options.answerWithinMs ?? 14 * 60_000;
  const follower = createTaskFollower(
    queue,
    bus,
    options.recheckMs === undefined ? {} : { recheckMs: options.recheckMs },
  );
  const running = new Set<Promise<void>>();
  const stopping = new AbortController();
  let accepting = true;

  const track = (work: Promise<void>) => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  const agentNames = () => team.status().agents.map((agent) => agent.name);
  const unknownAgent = (agent: string) =>
    `Unknown agent "${agent}": the agents are ${agentNames().join(", ")} (see /agents).`;
  const notAccepting = "The team is shutting down and takes no new tasks; try again shortly.";

  /**
   * Why the team cannot take a task now, or undefined. A task that goes through the queue (`queued`)
   * waits there for a team that is restarting after an escalation.
   */
  const refusal = (queued: boolean): string | undefined => {
    const { lifecycle, escalation } = team.status();
    if (lifecycle === "running") return undefined;
    if (!escalation) return notAccepting;
    if (queued && escalation.restartAt !== undefined) return undefined;
    return `The team escalated (${escalation.reason}); try again once it is back.`;
  };

  /**
   * Send `text` as one or more messages (a file when long), `heading` on its first line, `embeds`
   * under the last.
   */
  const sendText = async (send: Send, text: string, heading?: string, embeds?: readonly SurfaceEmbed[]) => {
    const plan = planReply(heading === undefined ? text : `${heading}\n${text}`, {
      maxChars: surface.maxMessageChars,
    });
    for (const [index, content] of plan.messages.entries()) {
      const last = index === plan.messages.length - 1;
      await send(content, last && plan.file ? [plan.file] : undefined, last ? embeds : undefined);
    }
  };

  /** The footer offering task `id`'s replay command, when the host recorded it. */
  const replayOf = (id: string): readonly SurfaceEmbed[] | undefined => {
    const command = options.replayCommand?.(id);
    return command === undefined ? undefined : [replayFooter(command)];
  };

  const outcomeText = (id: string, agent: string | undefined, record: TaskRecord | undefined) => {
    if (record?.status === "succeeded") {
      const text = format(agent ?? "", record.output);
      return text.trim() === "" ? statusText("succeeded", `(task ${id}, empty reply)`) : text;
    }
    if (record?.status === "cancelled")
      return statusText("cancelled", `(task ${id})${record.error ? `: ${record.error.reason}` : ""}`);
    return `${statusText("failed")} (task ${id}): ${record?.error?.reason ?? "unknown error"}`;
  };

  /**
   * Send task `id`'s outcome once the queue recorded it (followTask.ts: the event, and a re-check of
   * the record), `heading` on the first line. `enqueue` puts it on the queue first. A task still
   * running after answerWithinMs is said to be so through `send`; its outcome follows through `late`
   * (in the channel: a command's answer expires), so no task is left without its reply.
   */
  const answerWhenRecorded = async (
    task: {
      readonly id: string;
      readonly agent: string | undefined;
      readonly heading?: string;
      readonly enqueue?: () => Promise<void>;
    },
    send: Send,
    late: Send = send,
  ) => {
    const { id, heading } = task;
    try {
      await task.enqueue?.();
    } catch (error) {
      return send(`${statusText("failed")}: not queued: ${errorText(error)}`);
    }
    const inTime = await follower.follow(
      id,
      AbortSignal.any([stopping.signal, AbortSignal.timeout(answerWithinMs)]),
    );
    if (inTime) return sendText(send, outcomeText(id, task.agent, inTime), heading, replayOf(id));
    if (stopping.signal.aborted) return;
    await send(
      `${heading ? `${heading}\n` : ""}${statusText("working")}: task ${id} is still running; its answer will be posted in this channel (/status shows it).`,
    );
    const record = await follower.follow(id, stopping.signal);
    if (record)
      await sendText(late, outcomeText(id, task.agent, record), heading ?? `Task ${id}:`, replayOf(id));
  };

  const replyTo =
    (command: InboundCommand): Send =>
    (content, files, embeds) =>
      command.reply(content, { ...(files ? { files } : {}), ...(embeds ? { embeds } : {}) });

  const postIn =
    (channelId: string): Send =>
    (content, files, embeds) =>
      surface.post(channelId, { content, ...(files ? { files } : {}), ...(embeds ? { embeds } : {}) });

  /**
   * Queue `item` and answer the command with its outcome; a command written as a message has its
   * task shown by the bridge instead, under the message's task id.
   */
  const queueAndAnswer = (item: WorkItem, command: InboundCommand, heading?: string) => {
    if (command.message && options.tasks) {
      const { message } = command;
      const id = taskIdOfMessage(message.messageId);
      return (async () => {
        if (heading !== undefined) await command.reply(heading.replace(item.id, id));
        await options.tasks!.startTask({ id, input: { ...item.input, id } }, message, command.userId);
      })();
    }
    return answerWhenRecorded(
      {
        id: item.id,
        agent: item.input.agent,
        ...(heading === undefined ? {} : { heading }),
        enqueue: () => queue.enqueue({ id: item.id, input: { ...item.input, id: item.id } }),
      },
      replyTo(command),
      postIn(command.channelId),
    );
  };

  const ask = async (command: InboundCommand) => {
    const agent = command.options.agent ?? "";
    const text = (command.options.text ?? "").trim();
    if (!agentNames().includes(agent)) return command.reply(unknownAgent(agent), ephemeral);
    if (text === "") return command.reply("/ask needs some text: what should the agent do?", ephemeral);
    const refused = refusal(true);
    if (refused) return command.reply(refused, ephemeral);
    if (!(command.message && options.tasks)) await command.defer();
    const id = newId("t");
    await queueAndAnswer(
      { id, input: { text, agent, channel: command.channelName ?? command.channelId, from: command.userId } },
      command,
    );
  };

  const fanout = async (command: InboundCommand) => {
    const agents = [
      ...new Set(
        (command.options.agents ?? "")
          .split(/[\s,]+/)
          .map((name) => name.replace(/^@/, ""))
          .filter((name) => name !== ""),
      ),
    ];
    const text = (command.options.text ?? "").trim();
    if (agents.length === 0)
      return command.reply("/fanout needs agents: their names separated by commas (see /agents).", ephemeral);
    const unknown = agents.find((agent) => !agentNames().includes(agent));
    if (unknown !== undefined) return command.reply(unknownAgent(unknown), ephemeral);
    if (text === "")
      return command.reply("/fanout needs some text: what should the agents answer?", ephemeral);
    const parsed = parseJoin(command.options.join, agents.length);
    if ("error" in parsed) return command.reply(parsed.error, ephemeral);
    const refused = refusal(false);
    if (refused) return command.reply(refused, ephemeral);
    await command.defer();
    let result: { join: string; succeeded: boolean; branches: readonly FanOutBranchResult[] };
    try {
      const joined = await team.fanOut(
        agents,
        { text, channel: command.channelName ?? command.channelId, from: command.userId },
        {
          join: parsed.join,
          signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(answerWithinMs)]),
        },
      );
      result = { join: joined.join, succeeded: true, branches: joined.branches };
    } catch (error) {
      const branches = isTroupeError(error) ? error.data.branches : undefined;
      if (!Array.isArray(branches))
        return command.reply(`${statusText("failed")}: the fan-out failed: ${errorText(error)}`);
      result = { join: joinName(parsed.join), succeeded: false, branches };
    }
    await sendText(replyTo(command), fanOutAnswer(result, format));
  };

  const status = async (command: InboundCommand) => {
    await command.defer();
    const team_ = team.status();
    const state = teamStateText(team_);
    const [stats, dead] = await Promise.all([queue.stats(), queue.deadLetters(5)]);
    const more = (await options.statusLines?.()) ?? [];
    await command.reply(
      [
        `Team: ${state}, ${team_.queued} queued, ${team_.inFlight} in flight, ${team_.fanOuts} fan-outs.`,
        `Work queue${options.queueLabel === undefined ? "" : ` (${options.queueLabel})`}: ${stats.ready} ready, ${stats.leased} leased, ${stats.delayed} delayed, ${stats.dead} dead.`,
        ...more,
      ].join("\n"),
      { embeds: statusEmbeds(team_, [...dead].reverse()) },
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
    await command.defer(ephemeral);
    const outcome = await cancelTask(
      { team, queue, bus, ...(options.worker ? { worker: options.worker } : {}) },
      id,
      `cancelled by ${command.userId} with /cancel`,
    );
    const text = cancelText(id, outcome);
    await command.reply(outcome === "cancelled" || outcome === "withdrawn" ? `🚫 ${text}` : text, ephemeral);
  };

  const retry = async (command: InboundCommand) => {
    const id = (command.options.task ?? "").trim();
    const item = await retryOfDeadLetter(queue, id);
    if (!item)
      return command.reply(
        `No dead letter has the id "${id}"; /status lists the latest dead letters.`,
        ephemeral,
      );
    const refused = refusal(true);
    if (refused) return command.reply(refused, ephemeral);
    await command.defer();
    await queueAndAnswer(item, command, `${statusText("retrying")} dead letter ${id} as task ${item.id}:`);
  };

  const listSchedules = async (command: InboundCommand, scheduled: SurfaceSchedules) => {
    await command.defer();
    const listed = scheduled.list();
    await sendText(
      replyTo(command),
      listed.length === 0
        ? "No scheduled tasks. Add one with /schedule when:<every 5m | at ISO time | cron> text:<task>."
        : [
            `${listed.length} scheduled task${listed.length === 1 ? "" : "s"}:`,
            ...listed.map(scheduleLine),
          ].join("\n"),
    );
  };

  const cancelSchedule = async (command: InboundCommand, scheduled: SurfaceSchedules) => {
    const id = (command.options.id ?? "").trim();
    if (id === "")
      return command.reply(
        "/schedule action:cancel needs the id of a scheduled task (job-…); /schedule action:list shows them.",
        ephemeral,
      );
    if (!(await scheduled.cancel(id)))
      return command.reply(
        `No scheduled task has the id "${id}"; /schedule action:list shows them.`,
        ephemeral,
      );
    await command.defer();
    await command.reply(statusText("cancelled", `the scheduled task ${id}`));
  };

  const addSchedule = async (command: InboundCommand, scheduled: SurfaceSchedules) => {
    const { when: written, agent, notify } = command.options;
    const text = (command.options.text ?? "").trim();
    if (agent && !agentNames().includes(agent)) return command.reply(unknownAgent(agent), ephemeral);
    if (!written || text === "")
      return command.reply(
        "/schedule needs `when` (every 5m, at 2026-12-01T09:00:00Z, or a cron expression) and `text` (the task).",
        ephemeral,
      );
    if (notify !== undefined && !isTaskNotify(notify))
      return command.reply(`Unknown notify "${notify}": use all, failed or off.`, ephemeral);
    let added: SurfaceSchedule;
    try {
      added = await scheduled.add({
        when: written,
        text,
        ...(agent ? { agent } : {}),
        ...(notify ? { notify } : {}),
        from: command.userId,
        channelId: command.channelId,
      });
    } catch (error) {
      return command.reply(errorText(error), ephemeral);
    }
    await command.defer();
    await command.reply(
      `⏰ Scheduled ${added.id} (${added.schedule}), next run ${when(added.nextRunAt)}: ${taskOf(added)}\n` +
        `Each run is answered here; /schedule action:cancel id:${added.id} cancels it.`,
    );
  };

  /** `action`: add (the default when `when` or `text` is given), list (the default otherwise), cancel. */
  const schedule = async (command: InboundCommand) => {
    if (!schedules)
      return command.reply("This host runs no scheduler, so /schedule is not available here.", ephemeral);
    const { action = command.options.when || command.options.text ? "add" : "list" } = command.options;
    if (action === "list") return listSchedules(command, schedules);
    if (action === "cancel") return cancelSchedule(command, schedules);
    if (action === "add") return addSchedule(command, schedules);
    return command.reply(`Unknown action "${action}": use add, list or cancel.`, ephemeral);
  };

  const handlers: Record<SurfaceCommandName, (command: InboundCommand) => Promise<unknown>> = {
    ask,
    fanout,
    status,
    agents,
    cancel,
    retry,
    schedule,
  };

  const stopRuns =
    schedules?.onRun((run) => {
      if (!accepting || run.channelId === undefined) return;
      const channelId = run.channelId;
      track(
        answerWhenRecorded(
          { id: run.taskId, agent: run.agent, heading: `⏰ ${run.scheduleId} ran as task ${run.taskId}:` },
          postIn(channelId),
        )
          .then(() => {})
          .catch((error: unknown) =>
            logger.log("error", "surface: a scheduled run's answer could not be posted", {
              taskId: run.taskId,
              error: errorText(error),
            }),
          ),
      );
    }) ?? (() => {});

  const stopListening =
    surface.onCommand?.((command) => {
      const handler = Object.hasOwn(handlers, command.name)
        ? handlers[command.name as SurfaceCommandName]
        : undefined;
      const work = (async () => {
        if (!accepting) return command.reply("Troupe is stopping and takes no commands now.", ephemeral);
        if (!handler)
          return command.reply(
            `Unknown command /${command.name}: the commands are ${[
              commandNames(),
              ...(options.ownCommands ?? []).map((name) => `/${name}`),
            ].join(", ")}.`,
            ephemeral,
          );
        await handler(command);
      })()
        .then(() => {})
        .catch((error: unknown) => {
          logger.log("error", "surface: a command failed", {
            command: command.name,
            error: error instanceof Error ? error.message : String(error),
          });
          return command
            .reply(
              `/${command.name} failed: ${error instanceof Error ? error.message : String(error)}`,
              ephemeral,
            )
            .catch(() => {});
        });
      track(work);
    }) ?? (() => {});

  return {
    get busy() {
      return running.size;
    },
    async stop(signal) {
      accepting = false;
      stopRuns();
      const abort = () => stopping.abort();
      if (signal?.aborted) abort();
      signal?.addEventListener("abort", abort, { once: true });
      await Promise.allSettled([...running]);
      signal?.removeEventListener("abort", abort);
      stopListening();
      follower.close();
    },
  };
};
