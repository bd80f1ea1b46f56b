// An agent's requests to people — a question (`ctx.askHuman`), an approval of an exact action
// (`ctx.askApproval`) and a poll (`ctx.poll`) — handed to the team's HumanGateway. Answers and
// pending approvals are saved with the task, so a task run again after a crash does not ask twice.
import { createHash } from "node:crypto";
import { isTroupeError, TroupeError } from "../errors/TroupeError.ts";
import { type Approval, type BoundAction, DEFAULT_APPROVAL_EXPIRY_MS } from "../human/Approval.ts";
import type { PollResult, ValidPoll } from "../human/Poll.ts";
import { requestApproval } from "../human/requestApproval.ts";
import { requestPoll } from "../human/requestPoll.ts";
import type { Task } from "../task/Task.ts";
import { type Duration, toMillis } from "../time/duration.ts";
import type { SupervisorState } from "./SupervisorState.ts";

export class HumanRequests {
  readonly #state: SupervisorState;

  constructor(state: SupervisorState) {
    this.#state = state;
  }

  ask(agent: string, task: Task, question: string, signal: AbortSignal): Promise<string> {
    const human = this.#state.settings.human;
    if (!human) {
      return Promise.reject(
        new TroupeError(
          "InvalidCommand",
          `agent ${agent} asked a person, but no human gateway is configured`,
        ),
      );
    }
    const store = this.#state.settings.snapshots;
    if (!store) return human.ask(question, { task, agent, signal });
    // A task run again after a crash gets the answers it already had, instead of asking twice.
    const running = this.#state.current(agent, task.id, task.attempt);
    if (running) {
      running.entry.persisted = true;
      running.entry.askedPeople = true;
    }
    const key = `human/${task.id}/${createHash("sha256").update(question).digest("hex").slice(0, 16)}`;
    return store.load(key).then(async (saved) => {
      if (typeof saved === "string") return saved;
      const answer = await human.ask(question, { task, agent, signal });
      await store.save(key, answer);
      return answer;
    });
  }

  approve(
    agent: string,
    task: Task,
    bound: BoundAction,
    expiresIn: Duration | undefined,
    signal: AbortSignal,
  ): Promise<Approval> {
    const running = this.#state.current(agent, task.id, task.attempt);
    if (running && this.#state.settings.snapshots) {
      running.entry.persisted = true;
      running.entry.askedPeople = true;
    }
    const publish = (decision: "approved" | "denied" | "expired" | "refused", by: string | null) => {
      if (running) {
        this.#state.publishTask(running.entry, {
          type: "task.approval",
          taskId: task.id,
          agent,
          hash: bound.hash,
          decision,
          by,
        });
      }
    };
    const asked = Promise.resolve().then(() =>
      requestApproval({
        gateway: this.#state.settings.human,
        store: this.#state.settings.snapshots,
        clock: this.#state.clock,
        task,
        agent,
        bound,
        expiresInMs: expiresIn === undefined ? DEFAULT_APPROVAL_EXPIRY_MS : toMillis(expiresIn, "expiresIn"),
        signal,
      }),
    );
    return asked.then(
      (approval) => {
        publish(approval.approved ? "approved" : "denied", approval.by);
        return approval;
      },
      (error: unknown) => {
        if (isTroupeError(error, "ApprovalExpired")) publish("expired", null);
        if (isTroupeError(error, "ApprovalMismatch")) publish("refused", null);
        throw error;
      },
    );
  }

  poll(agent: string, task: Task, poll: ValidPoll, signal: AbortSignal): Promise<PollResult> {
    return requestPoll({
      gateway: this.#state.settings.human,
      clock: this.#state.clock,
      task,
      agent,
      poll,
      signal,
    });
  }
}
