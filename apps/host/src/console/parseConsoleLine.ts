// The console's own commands, those a chat surface does it otherwise (/help, /quit, and the answers
// to a task's question, approval or poll that Discord takes as replies and reactions). Every other
// line goes to the console surface (ConsoleSurface.ts): the surface's commands (/ask, /status, …) and
// messages that start tasks. Pure parsing: a malformed command comes back as an error to print.

export type ConsoleCommand =
  | { readonly kind: "help" }
  | { readonly kind: "quit" }
  /** Answer a task's question, or approve or deny its pending approval (`hash`: optional short hash). */
  | { readonly kind: "answer"; readonly taskId: string; readonly text: string }
  | { readonly kind: "approve" | "deny"; readonly taskId: string; readonly hash: string | undefined }
  /** Vote for a choice (1-based) of a task's open poll. */
  | { readonly kind: "vote"; readonly taskId: string; readonly choice: number }
  | { readonly kind: "error"; readonly message: string };

export const consoleHelp = `Commands:
  /help                 this list
  /agents               each agent's name, state, capabilities and breaker
  /status               the team (agents, states, breakers, tasks in flight), the work queue
                        (ready, leased, delayed, dead) with the latest dead letters, the notifier
  /ask <agent> <text>   give a task to one agent
  /fanout <agents> <text> [join:<any | first | quorum:n>]  ask several agents (names
                        separated by commas) at once and join their answers (default: all)
  /cancel <taskId>      cancel a queued or running task
  /retry <taskId>       queue a dead letter's task again, as a new task
  /schedule when:<every 5m | at ISO time | cron> text:<task>  schedule a task (agent:<name> too);
                        /schedule action:list, /schedule action:cancel id:<job id>
  /answer <taskId> <text>  answer the question a task asks (✋)
  /approve <taskId> [#hash]  approve the action a task waits on (✋); with the short hash, only that one
  /deny <taskId>        deny it
  /vote <taskId> <n>    vote for choice n of the poll a task holds open (✋); a later vote replaces it
  /quit                 finish running tasks and exit (as end of input does)
  @agent <text>         give a task to the agent named by the mention
  <text>                routed by rules: a mention, then an agent with a capability named in the
                        text (e.g. "system"), else the orchestrator (its model picks the agent)
                        when TROUPE_AGENTS has it, else echo`;

/** The console's own command on this line, or undefined for a line the console surface takes. */
export const parseConsoleLine = (raw: string): ConsoleCommand | undefined => {
  const line = raw.trim();
  if (!line.startsWith("/")) return undefined;
  const [word = "", ...words] = line.split(/\s+/);
  const args = line.slice(word.length).trim();
  switch (word.toLowerCase()) {
    case "/help":
      return { kind: "help" };
    case "/quit":
    case "/exit":
      return { kind: "quit" };
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
      return undefined;
  }
};
