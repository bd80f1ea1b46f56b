// Task deadlines on one timer. Every open task has a deadline; giving each its own timer costs a
// scheduler entry per task. Tasks are kept in one insertion-ordered map per deadline length, so
// each map is ordered by due time, the earliest due task is the first entry of some map, and
// adding or removing a task is O(1). The supervisor keeps a single timer for the earliest one.

export class DeadlineSchedule {
  /** deadline length → (task id → due time), each in increasing due time. */
  readonly #byLength = new Map<number, Map<string, number>>();
  #timerDueAt: number | undefined;

  /** Add a task; returns true when the timer must be (re)set to fire at `dueAt`. */
  add(taskId: string, lengthMs: number, now: number): boolean {
    const dueAt = now + lengthMs;
    let tasks = this.#byLength.get(lengthMs);
    if (!tasks) {
      tasks = new Map();
      this.#byLength.set(lengthMs, tasks);
    }
    tasks.set(taskId, dueAt);
    if (this.#timerDueAt !== undefined && this.#timerDueAt <= dueAt) return false;
    this.#timerDueAt = dueAt;
    return true;
  }

  remove(taskId: string, lengthMs: number): void {
    const tasks = this.#byLength.get(lengthMs);
    if (!tasks?.delete(taskId) || tasks.size > 0) return;
    this.#byLength.delete(lengthMs);
  }

  /** The timer fired: remove and return the tasks due by `now`. */
  takeDue(now: number): string[] {
    this.#timerDueAt = undefined;
    const due: string[] = [];
    for (const [lengthMs, tasks] of this.#byLength) {
      for (const [taskId, dueAt] of tasks) {
        if (dueAt > now) break;
        due.push(taskId);
        tasks.delete(taskId);
      }
      if (tasks.size === 0) this.#byLength.delete(lengthMs);
    }
    return due;
  }

  /** After `takeDue`: when the timer should fire next, claimed as the timer's due time; undefined when empty. */
  claimNext(): number | undefined {
    let earliest: number | undefined;
    for (const tasks of this.#byLength.values()) {
      const first = tasks.values().next().value;
      if (first !== undefined && (earliest === undefined || first < earliest)) earliest = first;
    }
    this.#timerDueAt = earliest;
    return earliest;
  }
}
