// `npm run bench -- <name>…`: which benchmarks a run asks for. No names runs them all but those
// marked `onlyWhenNamed`; `--help` lists the names and their goals; an unknown name is reported so
// the caller can exit 2.

export interface BenchmarkEntry<Run> {
  readonly name: string;
  /** The goal(s) as `--help` prints them. */
  readonly goal: string;
  readonly run: Run;
  /** Left out when no name is given (it installs packages or takes long): run only when named. */
  readonly onlyWhenNamed?: boolean;
}

export type Selection<Run> =
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "unknown"; readonly message: string }
  | { readonly kind: "run"; readonly benchmarks: readonly BenchmarkEntry<Run>[] };

export const helpText = (benchmarks: readonly BenchmarkEntry<unknown>[]): string => {
  const width = Math.max(...benchmarks.map((entry) => entry.name.length));
  return [
    "usage: npm run bench [-- <benchmark>…]",
    "",
    "Runs the named benchmarks (all of them when none is named) and prints one `name: ratio (goal …)`",
    "line per figure on stdout; progress goes to stderr.",
    "",
    "benchmarks:",
    ...benchmarks.map(
      (entry) =>
        `  ${entry.name.padEnd(width)}  goal ${entry.goal}${entry.onlyWhenNamed ? " (only when named)" : ""}`,
    ),
  ].join("\n");
};

export const selectBenchmarks = <Run>(
  benchmarks: readonly BenchmarkEntry<Run>[],
  args: readonly string[],
): Selection<Run> => {
  if (args.includes("--help") || args.includes("-h")) return { kind: "help", text: helpText(benchmarks) };
  const known = new Set(benchmarks.map((entry) => entry.name));
  const unknown = args.filter((name) => !known.has(name));
  if (unknown.length > 0)
    return {
      kind: "unknown",
      message: `unknown benchmark${unknown.length === 1 ? "" : "s"}: ${unknown.join(", ")} (known: ${[...known].join(", ")}; see npm run bench -- --help)`,
    };
  if (args.length === 0)
    return { kind: "run", benchmarks: benchmarks.filter((entry) => !entry.onlyWhenNamed) };
  const asked = new Set(args);
  return { kind: "run", benchmarks: benchmarks.filter((entry) => asked.has(entry.name)) };
};
