// A machine-form agent's machine, wrapped so that a task's run can be saved and resumed: after every
// transition the run's `RunSaves` saves the machine's persisted snapshot (children included), and a run
// started with a `snapshot` in its input resumes from it instead of starting over. The task's live
// AgentContext comes with the run's input (never saved), so its `taskStep` actors reach it after a
// resume. What a run needs is read from its actor's input: no table keyed by runs.
import type { ActorScope, AnyActor, AnyActorLogic, AnyActorRef, AnyStateMachine, Snapshot } from "xstate";
import type { AgentContext } from "./AgentContext.ts";

/** Saves a run's persisted snapshot: once a tick, after the steps of that tick have settled. */
export class RunSaves {
  readonly #persist: (snapshot: Snapshot<unknown>) => void;
  #run: RunActor | undefined;
  #pending = false;
  readonly #save = () => {
    this.#pending = false;
    const run = this.#run!;
    if (run.getSnapshot().status === "active") this.#persist(run.getPersistedSnapshot() as Snapshot<unknown>);
  };

  constructor(persist: (snapshot: Snapshot<unknown>) => void) {
    this.#persist = persist;
  }

  /**
   * Save once the step has settled: events the step sent to children are processed by then, so
   * the children's saved state is current. Several steps in one tick are saved once.
   */
  soon(run: RunActor): void {
    if (this.#pending) return;
    this.#pending = true;
    this.#run = run;
    queueMicrotask(this.#save);
  }
}

/** A run's actor as the runner sees it: an XState `Actor`, whose logic and input it reads. */
type RunActor = Pick<AnyActor, "logic" | "options" | "getSnapshot" | "getPersistedSnapshot"> & {
  readonly _parent?: AnyActorRef | undefined;
};

export interface PersistentRunnerInput {
  readonly ctx?: AgentContext;
  readonly snapshot?: Snapshot<unknown>;
  readonly saves?: RunSaves;
}

/** The runner logics made so far: an actor running one is a machine agent's run. */
const runners = new WeakSet<object>();

const inputOf = (run: RunActor) => run.options?.input as PersistentRunnerInput | undefined;

/** The live context of the run `actor` belongs to: the nearest ancestor that is a run, if any. */
export const taskContextOf = (actor: AnyActorRef): AgentContext | undefined => {
  for (
    let ancestor = actor as unknown as RunActor | undefined;
    ancestor;
    ancestor = ancestor._parent as unknown as RunActor | undefined
  ) {
    if (runners.has(ancestor.logic)) return inputOf(ancestor)?.ctx;
  }
  return undefined;
};

export const persistentRunner = (machine: AnyStateMachine): AnyActorLogic => {
  type Scope = ActorScope<never, never>;
  const saveSoon = (self: Scope["self"]) => {
    const run = self as unknown as RunActor;
    inputOf(run)?.saves?.soon(run);
  };
  const runner = {
    // The wrapped machine, so the Inspector can draw the agent's own chart and record its states.
    machine,
    transition: (snapshot: never, event: never, scope: Scope) => {
      const next = machine.transition(snapshot, event, scope as never);
      saveSoon(scope.self);
      return next;
    },
    getInitialSnapshot: (scope: Scope, input: PersistentRunnerInput | undefined) => {
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
  };
  runners.add(runner);
  return runner as unknown as AnyActorLogic;
};
