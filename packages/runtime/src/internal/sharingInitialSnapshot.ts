// Actor logic for a machine spawned by the thousand whose actors mostly sit in their initial state
// (each agent's host): the initial snapshot's structure — state nodes, value, tags, history,
// children — is computed once and shared, each actor adding only its own context. The shared
// structure keeps no actor's context, so it holds no team alive. Snapshots are immutable, so an
// actor's first move makes its own. The logic has the machine as its prototype: the same chart,
// transitions and inspection. Only for machines whose initial state does nothing beyond setting its
// context (its entry actions are not run again for each actor).
import type { AnyStateMachine, ContextFrom, InputFrom } from "xstate";

interface InitialSnapshot {
  readonly status: string;
  readonly context: unknown;
}

export const sharingInitialSnapshot = <TMachine extends AnyStateMachine>(
  machine: TMachine,
  contextOf: (input: InputFrom<TMachine>) => ContextFrom<TMachine>,
): TMachine => {
  let structure: InitialSnapshot | undefined;
  const getInitialSnapshot = (scope: unknown, input: InputFrom<TMachine>): InitialSnapshot => {
    if (!structure) {
      const first = machine.getInitialSnapshot(scope as never, input) as InitialSnapshot;
      if (first.status !== "active") return first;
      structure = { ...first, context: undefined };
      return first;
    }
    return { ...structure, context: contextOf(input) };
  };
  return Object.create(machine, { getInitialSnapshot: { value: getInitialSnapshot } });
};
