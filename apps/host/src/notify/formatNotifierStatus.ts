// The notifier's part of /status: each sink's backlog, oldest waiting alert, breaker and hold (a
// sink waiting for `troupe kakao login` says so), and the latest dead letters with their error.
import { formatMillis, formatTable } from "@troupe/runtime";
import type { NotifierStatus } from "@troupe/runtime/notify";

export const formatNotifierStatus = (status: NotifierStatus, now: number = Date.now()): string => {
  const pending = status.sinks.reduce((total, sink) => total + sink.pending, 0);
  const lines = [`outbox: ${pending} waiting, ${status.dead} dead letters`];
  lines.push(
    formatTable([
      ["sink", "waiting", "oldest", "breaker", "state"],
      ...status.sinks.map((sink) => [
        sink.name,
        String(sink.pending),
        sink.oldestPendingMs === undefined ? "-" : formatMillis(sink.oldestPendingMs),
        sink.breaker.replace("_", "-"),
        sink.hold === undefined
          ? "ok"
          : sink.hold.reason === "reauth"
            ? "needs re-authorisation: run troupe kakao login"
            : `quota used up until ${new Date(sink.hold.until ?? now).toISOString()}`,
      ]),
    ]),
  );
  if (status.deadLetters.length > 0) {
    lines.push("latest alert dead letters:");
    lines.push(
      formatTable([
        ["delivery", "attempts", "died", "last error"],
        ...status.deadLetters
          .slice(0, 5)
          .map((dead) => [
            dead.id,
            String(dead.failures),
            `${formatMillis(Math.max(0, now - dead.at))} ago`,
            dead.error,
          ]),
      ]),
    );
  }
  return lines.join("\n");
};
