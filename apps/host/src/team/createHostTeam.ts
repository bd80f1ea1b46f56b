// The team the host runs in local mode: echo and the system monitor, routed by mention, then
// capability, with echo taking whatever nothing else matched. The monitor reads the team's own status.
import { createSystemMonitor, echo } from "@troupe/agents";
import { createSupervisor, type Logger, route, type Team } from "@troupe/runtime";

export interface HostTeamOptions {
  readonly logger: Logger;
}

export const createHostTeam = (options: HostTeamOptions): Team => {
  let team: Team | undefined;
  const systemMonitor = createSystemMonitor({
    // The monitor only runs once the team exists, so `team` is set by then.
    status: () => team!.status(),
  });
  team = createSupervisor({
    agents: [echo, systemMonitor],
    routes: [route.mention(), route.capability()],
    fallback: echo.name,
    logger: options.logger,
  });
  return team;
};
