/// <reference lib="dom" />
// The supervision tree: every live actor under its parent (supervisor → agents → invoked or
// spawned children; a lazy child at rest, an agent's breaker before its first failure, marked so),
// each with its state; agents add what the team's status says — agent state,
// breaker, queue depth, current task, restarts (marked) — and the supervisor shows an escalation.
import type { ActorView, AgentView, ReplayState, TeamView } from "@troupe/runtime/inspect/graph";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char]!);

/** A state value as one short string: { busy: "working" } → "busy.working". */
export const formatValue = (value: unknown): string => {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value !== "object") return String(value);
  const parts = Object.entries(value as Record<string, unknown>).map(([key, sub]) => {
    const inner = formatValue(sub);
    return inner === "" ? key : `${key}.${inner}`;
  });
  return parts.length > 1 ? `{${parts.join(", ")}}` : (parts[0] ?? "");
};

const agentOf = (teams: Record<string, TeamView>, actor: ActorView): AgentView | undefined => {
  const team = actor.parent ? teams[actor.parent] : undefined;
  if (!team) return undefined;
  const hash = actor.id.lastIndexOf("#");
  const name = hash > 0 ? actor.id.slice(0, hash) : actor.id;
  return team.agents.find((agent) => agent.name === name);
};

const rowHtml = (state: ReplayState, actor: ActorView, depth: number, selected: string | null): string => {
  const chips: string[] = [];
  const team = state.teams[actor.actor];
  if (team) {
    if (team.escalated) chips.push('<span class="chip escalated">escalated</span>');
    chips.push(`<span class="chip">${team.agents.length} agents</span>`);
    chips.push(`<span class="chip">queued ${team.queued}</span>`);
    if (!team.accepting) chips.push('<span class="chip">draining</span>');
  }
  const agent = agentOf(state.teams, actor);
  if (agent) {
    chips.push(`<span class="chip ${agent.state}">${agent.state}</span>`);
    chips.push(
      `<span class="chip breaker-${agent.breaker}" title="circuit breaker">breaker ${agent.breaker.replace("_", "-")}</span>`,
    );
    chips.push(`<span class="chip" title="queue depth">queue ${agent.queue}</span>`);
    if (agent.task)
      chips.push(`<span class="chip task" title="current task">${escapeHtml(agent.task)}</span>`);
    if (agent.restarts > 0)
      chips.push(
        `<span class="chip restarts" title="restarts; incarnation ${agent.incarnation}">↻ ${agent.restarts}</span>`,
      );
  }
  const kind = actor.machine ? `machine ${escapeHtml(actor.machine)}` : "actor";
  // A resting child has no actor, hence no session id: it says so instead.
  const where = actor.resting ? "resting, no actor until it first moves" : escapeHtml(actor.actor);
  return `<div class="tree-row${actor.actor === selected ? " selected" : ""}" data-actor="${escapeHtml(actor.actor)}" style="padding-left:${10 + depth * 16}px">
<div class="top"><span class="name">${escapeHtml(actor.id === actor.actor ? (actor.systemId ?? actor.machine ?? actor.id) : actor.id)}</span><span class="kind">${kind} · ${where}</span><span class="value">${escapeHtml(formatValue(actor.value))}</span></div>
${chips.length > 0 ? `<div class="meta">${chips.join("")}</div>` : ""}</div>`;
};

/** The tree's HTML for a state. */
export const treeHtml = (state: ReplayState, selected: string | null): string => {
  const children = new Map<string | null, ActorView[]>();
  for (const actor of Object.values(state.actors)) {
    const parent = actor.parent && state.actors[actor.parent] ? actor.parent : null;
    const list = children.get(parent) ?? [];
    children.set(parent, list);
    list.push(actor);
  }
  const out: string[] = [];
  const visit = (parent: string | null, depth: number) => {
    const list = children.get(parent);
    if (!list) return;
    list.sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
    for (const actor of list) {
      out.push(rowHtml(state, actor, depth, selected));
      visit(actor.actor, depth + 1);
    }
  };
  visit(null, 0);
  return out.length > 0 ? out.join("") : '<div class="empty">No actors at this point.</div>';
};
