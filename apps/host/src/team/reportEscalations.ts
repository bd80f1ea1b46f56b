// An escalation is loud: when the team gives up (restarts exceeded the intensity), one error log line
// with the cause and a critical alert through the notifier (an `alert.raised` on the host's bus);
// when it is back after its restart, an info line and the alert resolved. It watches this host's own
// team (its actor's states), never the events other hosts mirror onto the bus.
import { formatMillis, type Logger, type Team } from "@troupe/runtime";

export interface EscalationReportOptions {
  readonly team: Team;
  readonly logger: Logger;
  /** Names this host in the alert's id (the consumer name). */
  readonly host: string;
}

/** Start watching; returns the function that stops it. */
export const reportEscalations = (options: EscalationReportOptions): (() => void) => {
  const { team, logger } = options;
  const host = options.host.replace(/[^A-Za-z0-9._:@~-]/g, "-").slice(0, 100);
  let open: string | undefined;
  let seen: string | undefined;
  const check = () => {
    // Every event makes a snapshot: only a change of the machine's state is worth a look.
    const { value, status } = team.actor.getSnapshot();
    if (`${status}:${String(value)}` === seen) return;
    seen = `${status}:${String(value)}`;
    const { lifecycle, escalation } = team.status();
    if (escalation && open === undefined) {
      open = `team-escalated:${host}:${escalation.since}`;
      const restartInMs =
        escalation.restartAt === undefined ? undefined : escalation.restartAt - escalation.since;
      const next =
        restartInMs === undefined
          ? "it stays stopped until troupe is restarted"
          : `troupe restarts it in ${formatMillis(restartInMs)}; tasks wait in the work queue meanwhile`;
      logger.log("error", "the team escalated", {
        reason: escalation.reason,
        restartInMs: restartInMs ?? null,
      });
      team.bus.publish({
        type: "alert.raised",
        alertId: open,
        severity: "critical",
        source: "supervisor",
        title: "The team escalated",
        text: `${escalation.reason}\n${next}.`,
      });
    } else if (!escalation && open !== undefined && lifecycle === "running") {
      logger.log("info", "the team restarted after its escalation");
      team.bus.publish({ type: "alert.resolved", alertId: open, source: "supervisor" });
      open = undefined;
    }
  };
  const subscription = team.actor.subscribe({ next: check, error: check });
  return () => subscription.unsubscribe();
};
