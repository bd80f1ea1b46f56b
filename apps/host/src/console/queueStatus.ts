// The work queue's part of /status: how many tasks are ready, leased, delayed and dead, how old the
// oldest unfinished one is, and the latest dead letters with their last error.
import { type DeadLetter, formatMillis, formatTable, type QueueStats } from "@troupe/runtime";

/** Dead letters shown by /status, newest first. */
export const DEAD_LETTERS_SHOWN = 5;

export const formatQueueStatus = (
  label: string,
  stats: QueueStats,
  deadLetters: readonly DeadLetter[],
  now: number = Date.now(),
): string => {
  const oldest =
    stats.oldestAgeMs === undefined ? "" : `, oldest unfinished ${formatMillis(stats.oldestAgeMs)}`;
  const lines = [
    `queue (${label}): ${stats.ready} ready, ${stats.leased} leased, ${stats.delayed} delayed, ${stats.dead} dead${oldest}`,
  ];
  const latest = deadLetters.slice(-DEAD_LETTERS_SHOWN).reverse();
  if (latest.length > 0) {
    lines.push(`latest dead letters (/retry <task id> queues one again):`);
    lines.push(
      formatTable([
        ["task", "attempts", "died", "last error"],
        ...latest.map((dead) => [
          dead.taskId,
          String(dead.attempts),
          `${formatMillis(Math.max(0, now - dead.at))} ago`,
          `${dead.error.tag}: ${dead.error.reason}`,
        ]),
      ]),
    );
  }
  return lines.join("\n");
};
