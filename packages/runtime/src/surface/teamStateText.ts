// How every surface names the team's state in its status answer (the console's /status, Discord's
// /status): taking tasks, draining, or escalated with its reason and whether it is restarting.
import type { TeamStatus } from "../supervisor/TeamStatus.ts";

export const teamStateText = (status: Pick<TeamStatus, "lifecycle" | "escalation">): string => {
  const { escalation } = status;
  if (escalation)
    return `escalated (${escalation.reason})${escalation.restartAt === undefined ? "" : ", restarting"}`;
  return status.lifecycle === "running" ? "accepting tasks" : status.lifecycle;
};
