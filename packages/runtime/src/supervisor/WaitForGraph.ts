// The wait-for graph between agents: an edge a → b while a task running on `a` waits for a task
// assigned to `b`. Every agent runs one task at a time, so a cycle is a deadlock; it is found at
// the moment the closing edge would be added.

export class WaitForGraph {
  readonly #edges = new Map<string, Map<string, number>>();

  /** The cycle (first agent repeated at the end) that `from → to` would close, if any. */
  cycleThrough(from: string, to: string): string[] | undefined {
    if (from === to) return [from, to];
    const path = this.#path(to, from, new Set());
    return path ? [from, ...path] : undefined;
  }

  add(from: string, to: string): void {
    const targets = this.#edges.get(from) ?? new Map<string, number>();
    targets.set(to, (targets.get(to) ?? 0) + 1);
    this.#edges.set(from, targets);
  }

  remove(from: string, to: string): void {
    const targets = this.#edges.get(from);
    const count = targets?.get(to);
    if (!targets || count === undefined) return;
    if (count > 1) targets.set(to, count - 1);
    else targets.delete(to);
    if (targets.size === 0) this.#edges.delete(from);
  }

  #path(from: string, to: string, seen: Set<string>): string[] | undefined {
    if (from === to) return [to];
    seen.add(from);
    for (const next of this.#edges.get(from)?.keys() ?? []) {
      if (seen.has(next)) continue;
      const rest = this.#path(next, to, seen);
      if (rest) return [from, ...rest];
    }
    return undefined;
  }
}
