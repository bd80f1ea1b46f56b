// The models agents use through `ctx.llm`: one per role (`defineAgent({ model })`, else the agent's
// name), made once by the team's factory, and handed to each run wrapped for that task — its signal,
// its step budget (maxSteps), and its model calls counting as heartbeats and progress.
import { TroupeError } from "../errors/TroupeError.ts";
import type { Llm } from "../llm/Llm.ts";
import { taskLlm } from "../llm/taskLlm.ts";
import type { Task } from "../task/Task.ts";
import type { RunReports } from "./RunReports.ts";
import type { SupervisorState } from "./SupervisorState.ts";

export class TaskModels {
  readonly #state: SupervisorState;
  readonly #reports: RunReports;
  readonly #models = new Map<string, Llm>();

  constructor(state: SupervisorState, reports: RunReports) {
    this.#state = state;
    this.#reports = reports;
  }

  /** The model of the agent's role for one run of `task`: its signal, step budget and heartbeats. */
  forTask(agent: string, task: Task, signal: AbortSignal): Llm {
    const definition = this.#state.slots.get(agent)?.definition;
    const factory = this.#state.settings.llm;
    if (!definition || !factory) {
      throw new TroupeError(
        "InvalidAgent",
        `agent ${agent} used ctx.llm, but the team has no models: pass \`llm: (role) => …\` to createSupervisor`,
      );
    }
    const role = definition.model ?? definition.name;
    let model = this.#models.get(role);
    if (!model) {
      model = factory(role);
      this.#models.set(role, model);
    }
    const { id, attempt } = task;
    const budget = this.#state.current(agent, id, attempt)?.steps;
    const forRun = taskLlm(model, {
      signal,
      ...(budget ? { budget } : {}),
      heartbeat: () => this.#reports.heartbeat(agent, id, attempt),
      progress: (message) => this.#reports.progress(agent, id, attempt, message),
      now: () => this.#state.clock.now(),
    });
    return this.#state.settings.io?.llm?.(forRun, { task, agent }) ?? forRun;
  }
}
