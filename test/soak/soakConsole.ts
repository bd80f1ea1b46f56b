// The soak run's console side: it types `/ask soak …` into the embedded host's console and reads
// what the console prints back, as a person at the terminal would. A line counts as a task once the
// console acknowledged it with a 📥 line for a task id it never showed before (lines are queued in
// the order they were typed); then each ✅/❌/🚫 line of that id is a terminal status, and the
// reply is the result line (which carries the task's token) or the ❌/🚫 line itself. A refusal
// ("takes no new tasks") ends the line's task at once, and says the team stopped taking work.
import { statusSymbols } from "@troupe/runtime";
import type { Observations, Seen, SoakTask, TerminalState } from "./soakObservations.ts";

const TASK_LINE = /^\[(t-[0-9a-zA-Z]+)\] (.*)$/;
const REFUSED = /takes no new tasks|not queued:/;
/** What a team that stopped taking work says, in a status line or a reply. */
export const STOPPED_WORDS = /escalat|takes no (new )?tasks/i;

const terminalOf = (text: string): TerminalState | undefined => {
  if (text.startsWith(statusSymbols.succeeded.symbol)) return "succeeded";
  if (text.startsWith(statusSymbols.failed.symbol)) return "failed";
  if (text.startsWith(statusSymbols.cancelled.symbol)) return "cancelled";
  return undefined;
};

export interface ConsoleSide {
  /** A line typed (`/ask soak <text>`) into the console of the process `pid`. */
  typed(token: string, kind: string, pid: number, at: number): void;
  /** A line the console of the process `pid` printed. */
  printed(line: string, pid: number, at: number): void;
  /** The console's process ended: lines it never acknowledged are not tasks. */
  ended(pid: number, at: number): void;
  /** Tasks seen only by id (their 📥 was printed by a later life): matched by the ledger at the end. */
  readonly orphans: ReadonlyMap<string, Pick<SoakTask, "terminals" | "replies">>;
  /** Result lines of tokens that are not (yet) tasks: a task resumed from an earlier life. */
  readonly strayReplies: ReadonlyMap<string, Seen[]>;
}

export const createConsoleSide = (observations: Observations, tokenPattern: RegExp): ConsoleSide => {
  const waiting: { token: string; kind: string; pid: number; at: number }[] = [];
  const byId = new Map<string, Pick<SoakTask, "terminals" | "replies">>();
  const byToken = new Map<string, SoakTask>();
  const seenIds = new Set<string>();
  const orphans = new Map<string, Pick<SoakTask, "terminals" | "replies">>();
  const strayReplies = new Map<string, Seen[]>();
  const entryOf = (id: string) => {
    const known = byId.get(id);
    if (known) return known;
    const orphan = orphans.get(id) ?? { terminals: [], replies: [] };
    orphans.set(id, orphan);
    return orphan;
  };
  const stopSeen = (at: number, what: string) =>
    observations.stops.push({ at, cluster: "embedded", host: "c", what });

  const acknowledge = (id: string, pid: number) => {
    // Only a line typed into this very process: a task resumed from an earlier life is not one.
    if (waiting[0]?.pid !== pid) return;
    const typed = waiting.shift()!;
    const task: SoakTask = {
      token: typed.token,
      surface: "console",
      cluster: "embedded",
      kind: typed.kind,
      submittedAt: typed.at,
      taskId: id,
      terminals: [],
      replies: [],
    };
    observations.tasks.push(task);
    byId.set(id, task);
    byToken.set(typed.token, task);
  };

  return {
    orphans,
    strayReplies,
    typed(token, kind, pid, at) {
      waiting.push({ token, kind, pid, at });
    },
    printed(line, pid, at) {
      const status = TASK_LINE.exec(line);
      if (!status) {
        if (line.startsWith("⚠ the team escalated")) return stopSeen(at, `console: ${line}`);
        if (REFUSED.test(line)) {
          const typed = waiting[0]?.pid === pid ? waiting.shift() : undefined;
          if (STOPPED_WORDS.test(line)) stopSeen(at, `console refused a task: ${line}`);
          if (!typed) return;
          const seen = { at, text: line };
          observations.tasks.push({
            token: typed.token,
            surface: "console",
            cluster: "embedded",
            kind: typed.kind,
            submittedAt: typed.at,
            terminals: [{ ...seen, state: "failed" }],
            replies: [seen],
          });
          return;
        }
        // A result: its first line carries the token of the task that answered it.
        const token = tokenPattern.exec(line)?.[0];
        if (token === undefined) return;
        const replies = byToken.get(token)?.replies ?? strayReplies.get(token) ?? [];
        if (!byToken.has(token)) strayReplies.set(token, replies);
        replies.push({ at, text: line });
        return;
      }
      const [, id = "", text = ""] = status;
      const firstSight = !seenIds.has(id);
      seenIds.add(id);
      if (firstSight && text.startsWith(statusSymbols.queued.symbol)) acknowledge(id, pid);
      const state = terminalOf(text);
      if (state === undefined) return;
      const entry = entryOf(id);
      entry.terminals.push({ at, text, state });
      // A failure or cancellation says why on its own line: that line is the reply.
      if (state !== "succeeded") entry.replies.push({ at, text });
      if (state === "failed" && STOPPED_WORDS.test(text)) stopSeen(at, `console: [${id}] ${text}`);
    },
    ended(pid, at) {
      for (let index = waiting.length - 1; index >= 0; index -= 1) {
        const typed = waiting[index]!;
        if (typed.pid !== pid) continue;
        waiting.splice(index, 1);
        observations.unacknowledged.push({
          token: typed.token,
          at: typed.at,
          why: `the console (pid ${pid}) ended at ${new Date(at).toISOString().slice(11, 19)} before it showed 📥`,
        });
      }
    },
  };
};
