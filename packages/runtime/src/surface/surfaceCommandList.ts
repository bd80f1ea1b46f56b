// The commands a chat surface offers, as `troupe register-commands` registers them (names,
// descriptions, options and their choices) and as the unknown-command answer lists them.

export interface SurfaceCommandOption {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  /** The only values allowed, offered as a list on Discord. */
  readonly choices?: readonly string[];
}

export interface SurfaceCommandSpec {
  readonly name: string;
  readonly description: string;
  readonly options: readonly SurfaceCommandOption[];
}

export const SURFACE_COMMANDS = [
  {
    name: "ask",
    description: "Give a task to one agent",
    options: [
      { name: "agent", description: "The agent (see /agents)", required: true },
      { name: "text", description: "What to do", required: true },
    ],
  },
  {
    name: "fanout",
    description: "Ask several agents at once and join their answers",
    options: [
      { name: "agents", description: "Agent names, separated by commas (see /agents)", required: true },
      { name: "text", description: "What to ask them", required: true },
      {
        name: "join",
        description: "all (default), any, first, or quorum:<n>",
        required: false,
      },
    ],
  },
  { name: "status", description: "The team, its queue and the latest dead letters", options: [] },
  { name: "agents", description: "The agents: state, capabilities, breaker", options: [] },
  {
    name: "cancel",
    description: "Cancel a task, running or still waiting in the queue",
    options: [{ name: "task", description: "The task id (t-…)", required: true }],
  },
  {
    name: "retry",
    description: "Queue a dead-lettered task again (see /status)",
    options: [{ name: "task", description: "The dead letter's task id (t-…)", required: true }],
  },
  {
    name: "schedule",
    description: "Schedule a task, list the scheduled ones, or cancel one",
    options: [
      {
        name: "action",
        description: "add (default when `when` is given), list, or cancel",
        required: false,
        choices: ["add", "list", "cancel"],
      },
      {
        name: "when",
        description: 'every 5m, at 2026-12-01T09:00:00Z, or cron such as "0 9 * * 1-5"',
        required: false,
      },
      { name: "text", description: "The task to run", required: false },
      { name: "agent", description: "The agent to run it (default: the team's routing)", required: false },
      { name: "id", description: "The scheduled task to cancel (job-…)", required: false },
      {
        name: "notify",
        description: "Send each run's outcome to the notifier: all, failed (dead letters only), or off",
        required: false,
        choices: ["all", "failed", "off"],
      },
    ],
  },
] as const satisfies readonly SurfaceCommandSpec[];

export type SurfaceCommandName = (typeof SURFACE_COMMANDS)[number]["name"];

/** "/ask, /fanout, …": every command, for answers that list them. */
export const commandNames = (): string => SURFACE_COMMANDS.map((command) => `/${command.name}`).join(", ");
