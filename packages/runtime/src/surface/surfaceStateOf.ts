// The state a task's status reaction shows for an event on a chat surface. The team's states
// (`taskStateOf`), with one difference: the bridge shows 📥 itself while the task waits in the durable
// work queue, so a worker leasing it (`task.leased`: it waits in that worker while its agent is busy)
// and the team taking it in (`task.queued`, `task.routed`) are 👀 claimed — seen on Discord whenever
// the agent is busy — and ⚙️ follows once the agent works on it. And every task there comes from the
// durable queue, so a failed attempt (`task.failed`) is not its end: the worker's 🔁 follows, or ❌
// once the queue's record says the task is dead.
import { type RuntimeEvent, type TaskState, taskStateOf } from "../events/catalogue.ts";

export const surfaceStateOf = (event: RuntimeEvent): TaskState | undefined => {
  if (event.type === "task.leased" || event.type === "task.queued" || event.type === "task.routed")
    return "claimed";
  if (event.type === "task.failed") return undefined;
  return taskStateOf(event);
};
