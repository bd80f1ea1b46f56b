// What a line typed into the local console asks for. Pure parsing, no team: the console decides what
// each command does, and an unknown or malformed command comes back as an error to print.
import { leadingMention } from "@troupe/runtime";

export type ConsoleCommand =
  | { readonly kind: "empty" }
  | { readonly kind: "help" }
  | { readonly kind: "agents" }
  | { readonly kind: "status" }
  | { readonly kind: "quit" }
  | { readonly kind: "ask"; readonly agent: string; readonly text: string }
  | { readonly kind: "cancel"; readonly taskId: string }
  /** Queue a dead letter's task again, as a new task. */
  | { readonly kind: "retry"; readonly taskId: string }
  /** Answer a task's question, or approve or deny its pending approval (`hash`: optional short hash). */
  | { readonly kind: "answer"; readonly taskId: string; readonly text: string }
  | { readonly kind: "approve" | "deny"; readonly taskId: string; readonly hash: string | undefined }
  /** Vote for a choice (1-based) of a task's open poll. */
  | { readonly kind: "vote"; readonly taskId: string; readonly choice: number }
  /** `@agent text`: the mention routes it. */
  | { readonly kind: "mention"; readonly agent: string; readonly text: string }
  /** A plain line, routed by the team's rules. */
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "error"; readonly message: string };

export const consoleHelp = `Commands:
  /help                 this list
  /agents               each agent's name, state, capabilities, breaker and queue
  /status               the team (agents, states, breakers, tasks in flight) and the work queue
                        (ready, leased, delayed, dead) with the latest dead letters
  /ask <agent> <text>   give a task to one agent
  /cancel <taskId>      cancel a queued or running task
  /retry <taskId>       queue a dead letter's task again, as a new task
  /answer <taskId> <text>  answer the question a task asks (✋)
  /approve <taskId> [#hash]  approve the action a task waits on (✋); with the short hash, only that one
  /deny <taskId>        deny it
  /vote <taskId> <n>    vote for choice n of the poll a task holds open (✋); a later vote replaces it
  /quit                 finish running tasks and exit (as end of input does)
  @agent <text>         give a task to the agent named by the mention
  <text>                routed by rules: a mention, then an agent with a capability named in the
                        text (e.g. "system"), else the orchestrator (its model picks the agent)
                        when TROUPE_AGENTS has it, else echo`;

export const parseConsoleLine = (raw: string): ConsoleCommand => {
  const line = raw.trim();
  if (line === "") return { kind: "empty" };
  if (line.startsWith("@")) {
    const mention = leadingMention(line);
    if (!mention) return { kind: "error", message: `"${line.split(/\s/)[0]}" is not an agent name` };
    return { kind: "mention", agent: mention.agent, text: line };
  }
  if (!line.startsWith("/")) return { kind: "text", text: line };

  const [word = "", ...words] = line.split(/\s+/);
  const args = line.slice(word.length).trim();
  switch (word.toLowerCase()) {
    case "/help":
      return { kind: "help" };
    case "/agents":
      return { kind: "agents" };
    case "/status":
      return { kind: "status" };
    case "/quit":
    case "/exit":
      return { kind: "quit" };
    case "/ask": {
      const [agent] = words;
      if (agent === undefined) return { kind: "error", message: "/ask needs an agent: /ask <agent> <text>" };
      return { kind: "ask", agent: agent.replace(/^@/, ""), text: args.slice(agent.length).trim() };
    }
    case "/cancel":
    case "/retry": {
      const [taskId, extra] = words;
      const kind = word.toLowerCase() === "/cancel" ? "cancel" : "retry";
      if (taskId === undefined || extra !== undefined)
        return { kind: "error", message: `/${kind} needs one task id: /${kind} <taskId>` };
      return { kind, taskId };
    }
    case "/answer": {
      const [taskId] = words;
      const text = taskId === undefined ? "" : args.slice(taskId.length).trim();
      if (taskId === undefined || text === "")
        return { kind: "error", message: "/answer needs a task id and a text: /answer <taskId> <text>" };
      return { kind: "answer", taskId, text };
    }
    case "/approve":
    case "/deny": {
      const kind = word.toLowerCase() === "/approve" ? "approve" : "deny";
      const [taskId, hash, extra] = words;
      if (taskId === undefined || extra !== undefined)
        return { kind: "error", message: `/${kind} needs a task id: /${kind} <taskId> [#hash]` };
      return { kind, taskId, hash };
    }
    case "/vote": {
      const [taskId, number, extra] = words;
      if (taskId === undefined || number === undefined || !/^\d+$/.test(number) || extra !== undefined)
        return { kind: "error", message: "/vote needs a task id and a choice's number: /vote <taskId> <n>" };
      return { kind: "vote", taskId, choice: Number(number) };
    }
    default:
      return { kind: "error", message: `unknown command "${word}": type /help to see the commands` };
  }
};

/**
 * The capability a plain line asks for: the first word that names a capability of some agent
 * ("system load?" needs "system"), so the capability rule can route it. Empty when none does.
 */
export const needsOf = (text: string, capabilities: ReadonlySet<string>): string[] => {
  for (const word of text.toLowerCase().split(/[^a-z0-9_-]+/)) {
    if (capabilities.has(word)) return [word];
  }
  return [];
};
