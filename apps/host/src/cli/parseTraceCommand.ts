// The command line of a command that reads one trace file (`troupe inspect`, `troupe replay`): its
// options parsed strictly, `--help` printed, and bad input said in one line with exit code 2, so
// both commands answer the same way.
import type { Writable } from "node:stream";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

export type TraceCommandLine<O extends ParseArgsOptionsConfig> = {
  readonly trace: string;
  readonly values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>["values"];
};

/** Say what is wrong with a command line in one line, pointing at --help; returns exit code 2. */
export const usageError =
  (command: string, io: { readonly stderr: Writable }) =>
  (reason: string): number => {
    io.stderr.write(`troupe ${command}: ${reason}\nRun "troupe ${command} --help" for usage.\n`);
    return 2;
  };

/** The trace and the options, or the exit code when there is nothing to run (help, bad input). */
export const parseTraceCommand = <O extends ParseArgsOptionsConfig>(
  command: string,
  args: readonly string[],
  spec: { readonly options: O; readonly usage: string; readonly example: string },
  io: { readonly stdout: Writable; readonly stderr: Writable },
): TraceCommandLine<O> | number => {
  const usage = usageError(command, io);
  let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options: spec.options, allowPositionals: true, strict: true });
  } catch (error) {
    return usage((error as Error).message.split("\n")[0]!);
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout.write(spec.usage);
    return 0;
  }
  const [trace, ...extra] = parsed.positionals;
  if (trace === undefined) return usage(`which trace? e.g. troupe ${command} ${spec.example}`);
  if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
  return { trace, values: parsed.values };
};
