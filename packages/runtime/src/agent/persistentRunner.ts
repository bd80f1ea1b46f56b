// A machine-form agent's machine, wrapped so that a task's run can be saved and resumed: every
// transition hands the machine's persisted snapshot (children included) to `persist`, and a run
// started with a `snapshot` in its input resumes from it instead of starting over. The task's live
// AgentContext is bound to the run (never saved), so its `taskStep` actors reach it after a resume.
import type { ActorScope, AnyActorLogic, AnyStateMachine, Snapshot } from "xstate";
import type { AgentContext } from "./AgentContext.ts";
import { bindTaskContext } from "./taskStep.ts";

export interface PersistentRunnerInput {
  readonly ctx?: AgentContext;
  readonly snapshot?: Snapshot<unknown>;
  readonly persist?: (snapshot: Snapshot<unknown>) => void;
}

export const persistentRunner = (machine: AnyStateMachine): AnyActorLogic => {
  const observers = new WeakMap<object, (snapshot: Snapshot<unknown>) => void>();
  const pending = new WeakSet<object>();
  type Scope = ActorScope<never, never>;
  /**
   * Save once the step has settled: events the step sent to children are processed by then, so
   * the children's saved state is current. Several steps in one tick are saved once.
   */
  const saveSoon = (self: Scope["self"]) => {
    if (!observers.has(self) || pending.has(self)) return;
    pending.add(self);
    queueMicrotask(() => {
      pending.delete(self);
      const snapshot = self.getSnapshot() as Snapshot<unknown>;
      if (snapshot.status === "active") observers.get(self)?.(self.getPersistedSnapshot());
    });
  };
  return {
    // The wrapped machine, so the Inspector can draw the agent's own chart and record its states.
    machine,
    transition: (snapshot: never, event: never, scope: Scope) => {
      const next = machine.transition(snapshot, event, scope as never);
      saveSoon(scope.self);
      return next;
    },
    getInitialSnapshot: (scope: Scope, input: PersistentRunnerInput | undefined) => {
      if (input?.persist) observers.set(scope.self, input.persist);
      if (input?.ctx) bindTaskContext(scope.self, input.ctx);
      const initial = input?.snapshot
        ? machine.restoreSnapshot(input.snapshot, scope as never)
        : machine.getInitialSnapshot(scope as never, input);
      saveSoon(scope.self);
      return initial;
    },
    restoreSnapshot: (snapshot: Snapshot<unknown>, scope: Scope) =>
      machine.restoreSnapshot(snapshot, scope as never),
    start: (snapshot: never) => machine.start(snapshot),
    getPersistedSnapshot: (snapshot: never) => machine.getPersistedSnapshot(snapshot),
  } as unknown as AnyActorLogic;
};
