// /status as embeds: one field per agent (its state, breaker, queue and running task), 25 to an embed,
// and the latest dead letters in the first embed's description, so a team of 40 agents still fits
// one message (fitEmbeds cuts whatever would not).
import type { DeadLetter } from "../durable/WorkQueue.ts";
import type { AgentStatus, TeamStatus } from "../supervisor/SupervisorCore.ts";
import { EMBED_LIMITS } from "./fitEmbeds.ts";
import type { SurfaceEmbed } from "./Surface.ts";

/** Characters of a dead letter's reason shown in /status. */
const REASON_CHARS = 160;

const agentField = (agent: AgentStatus) => ({
  name: agent.name,
  value: [
    agent.state,
    `breaker ${agent.breaker.replace("_", "-")}${agent.failures > 0 ? ` (${agent.failures} failed)` : ""}`,
    `queue ${agent.queue}`,
    ...(agent.task ? [`task ${agent.task}`] : []),
  ].join(" · "),
  inline: true,
});

const deadLine = (letter: DeadLetter) => {
  const reason =
    letter.error.reason.length > REASON_CHARS
      ? `${letter.error.reason.slice(0, REASON_CHARS - 1)}…`
      : letter.error.reason;
  return `- \`${letter.taskId}\` after ${letter.attempts} attempts: ${letter.error.tag}: ${reason}`;
};

export const statusEmbeds = (team: TeamStatus, dead: readonly DeadLetter[]): SurfaceEmbed[] => {
  const fields = team.agents.map(agentField);
  const description =
    dead.length === 0
      ? "No dead letters."
      : ["Latest dead letters (`/retry task:<id>` queues one again):", ...dead.map(deadLine)].join("\n");
  const embeds: SurfaceEmbed[] = [];
  for (let start = 0; start === 0 || start < fields.length; start += EMBED_LIMITS.fields)
    embeds.push({
      ...(start === 0 ? { title: `Agents (${team.agents.length})`, description } : {}),
      fields: fields.slice(start, start + EMBED_LIMITS.fields),
    });
  return embeds;
};
