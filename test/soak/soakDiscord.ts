// The soak run's Discord side: people (several, so none hits the per-person task limit) write in the
// #soak channel of the Discord stand-in, and the run reads back what they would see: the status
// reactions the bot adds on their message (each ✅/❌/🚫 that appears is a terminal status; adding
// one already shown changes nothing a person sees) and the bot's posts in the task's thread (each a
// reply, unless it is a progress note that starts with a status symbol such as 🔁; a post in the
// channel counts for the task whose token it carries). The task's id comes from the Discord host's
// log ("surface: task from a message").
import { statusSymbols } from "@troupe/runtime";
import type { DiscordStandIn, StandInUser } from "../harness/discordStandIn.ts";
import { STOPPED_WORDS } from "./soakConsole.ts";
import type { Observations, SoakTask, TerminalState } from "./soakObservations.ts";

export const SOAK_CHANNEL = "soak";
const PEOPLE = 8;
const TERMINAL: Readonly<Record<string, TerminalState>> = {
  [statusSymbols.succeeded.symbol]: "succeeded",
  [statusSymbols.failed.symbol]: "failed",
  [statusSymbols.cancelled.symbol]: "cancelled",
};
/** A post that starts with one of these is a progress note (🔁 retrying, ✋ a question…), not a reply. */
const PROGRESS = Object.values(statusSymbols)
  .map((status) => status.symbol)
  .filter((symbol) => TERMINAL[symbol] === undefined);

export interface DiscordSide {
  /** A person writes a task's text in #soak. */
  say(token: string, kind: string, text: string): SoakTask;
  /** Read the stand-in's events that came since the last look, stamping them with `at`. */
  look(at: number): void;
  /** A Discord host's log record (the task id of a message). */
  logged(record: Record<string, unknown>): void;
  /** Whether a person would take the task as over: a reply posted and ✅, ❌ or 🚫 shown now. */
  settled(task: SoakTask): boolean;
  /** At the end: the status reactions left on each message. */
  finish(): void;
}

export const createDiscordSide = (
  observations: Observations,
  standIn: DiscordStandIn,
  tokenPattern: RegExp,
): DiscordSide => {
  const people: StandInUser[] = Array.from({ length: PEOPLE }, (_, index) => ({
    id: `30000000000000000${String(index).padStart(2, "0")}`,
    username: `soaker${index}`,
  }));
  const byMessage = new Map<string, SoakTask>();
  const byToken = new Map<string, SoakTask>();
  const channel = standIn.channelId(SOAK_CHANNEL);
  /** The bot's reactions on each message as of the last event looked at. */
  const shown = new Map<string, readonly string[]>();
  let said = 0;
  let looked = 0;

  return {
    say(token, kind, text) {
      const author = people[said % people.length]!;
      said += 1;
      const at = Date.now();
      const message = standIn.say(SOAK_CHANNEL, text, author);
      const task: SoakTask = {
        token,
        surface: "discord",
        cluster: "redis",
        kind,
        submittedAt: at,
        messageId: message.id,
        takenAs: [],
        terminals: [],
        replies: [],
      };
      observations.tasks.push(task);
      byMessage.set(message.id, task);
      byToken.set(token, task);
      return task;
    },
    look(at) {
      const events = standIn.events;
      for (; looked < events.length; looked += 1) {
        const event = events[looked]!;
        if (event.kind === "reaction") {
          const state = TERMINAL[event.emoji];
          const task = byMessage.get(event.messageId);
          const before = shown.get(event.messageId) ?? [];
          shown.set(event.messageId, event.shown);
          if (event.op === "add" && state && task && !before.includes(event.emoji))
            task.terminals.push({ at, text: event.emoji, state });
        }
        if (event.kind !== "message" || !event.message.author.bot) continue;
        const { message } = event;
        if (PROGRESS.some((symbol) => message.content.startsWith(symbol))) continue;
        const inThread = byMessage.get(message.channelId);
        const token = tokenPattern.exec(message.content)?.[0];
        const task = inThread ?? (message.channelId === channel && token ? byToken.get(token) : undefined);
        task?.replies.push({ at, text: message.content });
        if (task && STOPPED_WORDS.test(message.content))
          observations.stops.push({
            at,
            cluster: "redis",
            what: `Discord reply to ${task.taskId ?? task.token}: ${message.content.slice(0, 160)}`,
          });
      }
    },
    logged(record) {
      if (record.msg !== "surface: task from a message") return;
      const task = byMessage.get(String(record.messageId));
      if (!task || typeof record.taskId !== "string") return;
      task.taskId ??= record.taskId;
      if (!task.takenAs?.includes(record.taskId)) task.takenAs?.push(record.taskId);
    },
    settled(task) {
      const now = standIn.messages.get(task.messageId ?? "")?.reactions ?? new Set<string>();
      return task.replies.length > 0 && [...now].some((emoji) => TERMINAL[emoji] !== undefined);
    },
    finish() {
      for (const [messageId, task] of byMessage)
        task.shownAtEnd = [...(standIn.messages.get(messageId)?.reactions ?? [])];
    },
  };
};
