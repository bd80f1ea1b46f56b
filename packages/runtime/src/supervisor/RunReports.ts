// What running agents report about their task through the AgentPort: started, heartbeats, progress,
// emitted events, waiting for a person and resuming. Each report names the agent and the task's
// attempt, and one from a run that is no longer current (restarted, hung, retried) is ignored.
// Progress and emitted events count as heartbeats; waiting for a person stops the heartbeat clock.
import type { SupervisorState } from "./SupervisorState.ts";

export class RunReports {
  readonly #state: SupervisorState;

  constructor(state: SupervisorState) {
    this.#state = state;
  }

  started(agent: string, taskId: string, attempt: number): void {
    const running = this.#state.current(agent, taskId, attempt);
    if (running) this.#state.publishTask(running.entry, { type: "task.started", taskId, agent, attempt });
  }

  heartbeat(agent: string, taskId: string, attempt: number): void {
    const running = this.#state.current(agent, taskId, attempt);
    if (running) running.lastBeatAt = this.#state.clock.now();
  }

  progress(agent: string, taskId: string, attempt: number, message: string): void {
    const running = this.#state.current(agent, taskId, attempt);
    if (!running) return;
    running.lastBeatAt = this.#state.clock.now();
    this.#state.publishTask(running.entry, {
      type: "task.progress",
      taskId,
      agent,
      message: String(message),
    });
  }

  emit(agent: string, taskId: string, attempt: number, event: { type: string }): void {
    const running = this.#state.current(agent, taskId, attempt);
    if (!running) return;
    running.lastBeatAt = this.#state.clock.now();
    this.#state.publishTask(running.entry, { type: "task.emitted", taskId, agent, event });
  }

  awaitingHuman(agent: string, taskId: string, attempt: number, question: string): void {
    const running = this.#state.current(agent, taskId, attempt);
    if (!running) return;
    running.awaitingHuman = true;
    this.#state.publishTask(running.entry, { type: "task.awaiting_human", taskId, agent, question });
    this.#state.setAgentState(this.#state.slots.get(agent)!, "awaiting_human");
  }

  resumed(agent: string, taskId: string, attempt: number): void {
    const running = this.#state.current(agent, taskId, attempt);
    if (!running) return;
    running.awaitingHuman = false;
    running.lastBeatAt = this.#state.clock.now();
    this.#state.publishTask(running.entry, { type: "task.resumed", taskId, agent });
    this.#state.setAgentState(this.#state.slots.get(agent)!, "working");
  }
}
