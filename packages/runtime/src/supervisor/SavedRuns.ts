// What a task keeps in the team's SnapshotStore while it is open — a machine agent's run (to resume
// it after a crash) and, beside it, the answers people gave it — and deleting all of it once the
// task is over. Saving is fire-and-forget: a failure is a warning, never the task's failure.
import type { SupervisorState } from "./SupervisorState.ts";

export class SavedRuns {
  readonly #state: SupervisorState;

  constructor(state: SupervisorState) {
    this.#state = state;
  }

  /** A machine agent's run moved: save its snapshot (the save counts as a heartbeat). */
  persist(agent: string, taskId: string, attempt: number, snapshot: unknown): void {
    const running = this.#state.current(agent, taskId, attempt);
    const store = this.#state.settings.snapshots;
    if (!running || !store) return;
    running.lastBeatAt = this.#state.clock.now();
    running.entry.persisted = true;
    store
      .save(taskId, snapshot)
      .catch((error: unknown) => this.#state.warn(`saving the state of task ${taskId} failed`, error));
  }

  /**
   * Delete what was saved for a task that is over: its run and, when it may have any (`answers`),
   * the answers people gave it — a run that asked nobody costs one delete, not two key scans.
   */
  forget(taskId: string, answers: boolean): void {
    const store = this.#state.settings.snapshots;
    if (!store) return;
    const forget = async () => {
      await store.delete(taskId);
      if (!answers) return;
      const saved = [...(await store.keys(`human/${taskId}/`)), ...(await store.keys(`approval/${taskId}/`))];
      for (const key of saved) await store.delete(key);
    };
    forget().catch((error: unknown) =>
      this.#state.warn(`deleting the saved state of task ${taskId} failed`, error),
    );
  }
}
