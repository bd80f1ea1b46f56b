// Injecting the plan's faults into the running hosts, each recorded with when it began and ended
// (and which process it hit), so the verdict can tell a duplicate in the crash window from one
// outside it, and a stall the run caused from one the team caused. A fault on a host that is not up
// (still starting again after an earlier one) is skipped and said so.
import { setTimeout as sleep } from "node:timers/promises";
import type { DiscordStandIn } from "../harness/discordStandIn.ts";
import type { PrivateRedis } from "../harness/privateRedis.ts";
import type { SoakHost } from "./soakHosts.ts";
import type { SoakModel } from "./soakModel.ts";
import type { FaultRecord, Observations } from "./soakObservations.ts";
import { describeFault, MODEL_OUTAGE_PHASES, type PlannedFault } from "./soakPlan.ts";

export interface FaultTargets {
  readonly hosts: ReadonlyMap<string, SoakHost>;
  readonly redis: PrivateRedis;
  readonly discord: DiscordStandIn;
  readonly model: SoakModel;
  readonly observations: Observations;
  /** Send one more Discord task now (a message written while the gateway is away). */
  sendDiscordTask(): void;
  /** One line of progress. */
  say(line: string): void;
}

/** Close codes of the gateway: 4000 lets the client RESUME; 4007 (invalid seq) makes it identify again. */
const RESUMABLE = 4_000;
const NOT_RESUMABLE = 4_007;

export const injectFault = async (fault: PlannedFault, targets: FaultTargets): Promise<void> => {
  const { observations } = targets;
  const record = (fields: Omit<FaultRecord, "to"> & { to?: number }): FaultRecord => {
    const recorded = { ...fields, to: fields.to ?? fields.from };
    observations.faults.push(recorded);
    return recorded;
  };
  const host = fault.host === undefined ? undefined : targets.hosts.get(fault.host);
  if (host && host.state !== "up") {
    targets.say(`soak: skipped "${describeFault(fault)}": host ${host.name} is ${host.state}`);
    return;
  }
  targets.say(`soak: fault: ${describeFault(fault)}`);
  const from = Date.now();
  switch (fault.kind) {
    case "agent-errors":
      // The burst's tasks are in the plan; this marks when they were sent.
      record({ kind: fault.kind, from, to: from + 3_000 });
      return;
    case "model-outage": {
      const recorded = record({ kind: fault.kind, from });
      for (const phase of MODEL_OUTAGE_PHASES) {
        targets.model.setPhase(phase);
        await sleep(fault.forMs / MODEL_OUTAGE_PHASES.length);
      }
      targets.model.setPhase("up");
      recorded.to = Date.now();
      return;
    }
    case "redis-restart": {
      const recorded = record({ kind: fault.kind, from });
      await targets.redis.restart({ whileDown: () => sleep(fault.forMs) });
      recorded.to = Date.now();
      return;
    }
    case "sigkill": {
      const pid = host!.pid;
      const recorded = record({ kind: fault.kind, host: host!.name, from, ...(pid ? { pid } : {}) });
      await host!.kill();
      await sleep(fault.forMs);
      await host!.start();
      recorded.to = Date.now();
      return;
    }
    case "sigstop": {
      const pid = host!.pid;
      const recorded = record({ kind: fault.kind, host: host!.name, from, ...(pid ? { pid } : {}) });
      host!.pause();
      await sleep(fault.forMs);
      host!.resume();
      recorded.to = Date.now();
      return;
    }
    case "gateway-resume":
    case "gateway-reidentify":
      targets.discord.dropGateway(fault.kind === "gateway-resume" ? RESUMABLE : NOT_RESUMABLE);
      // Written while the bot is away: answered after a RESUME replays it, or only by catching up.
      targets.sendDiscordTask();
      record({ kind: fault.kind, from, to: Date.now() });
      return;
    case "rest-down": {
      const recorded = record({ kind: fault.kind, from });
      targets.discord.restDown(true);
      await sleep(fault.forMs);
      targets.discord.restDown(false);
      recorded.to = Date.now();
      return;
    }
  }
};
