// `troupe inspect <trace.jsonl>`: read a recorded trace, serve the visualizer for it on this
// machine and print the page's address; stops on Ctrl-C, SIGTERM or the end of standard input
// when it is a pipe. It opens no browser. Bound beyond loopback (--host 0.0.0.0), the page needs a
// token made for this run, printed in the address.
import { basename } from "node:path";
import type { Readable, Writable } from "node:stream";
import { type MalformedTraceLine, readTrace, type TraceRecord } from "@troupe/runtime";
import { resolveHttpAccessConfig } from "../config/httpAccessConfig.ts";
import { isLoopbackHost, newAccessToken } from "../http/httpAccess.ts";
import { traceSource } from "./InspectSource.ts";
import { startInspectServer } from "./startInspectServer.ts";

export interface InspectCommand {
  readonly trace: string;
  readonly host: string;
  readonly port: number;
}

export interface InspectIo {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Resolves when the command should stop (default: SIGINT or SIGTERM). */
  readonly stopped?: Promise<void>;
}

export const runInspect = async (command: InspectCommand, io: InspectIo): Promise<number> => {
  const records: TraceRecord[] = [];
  const problems: MalformedTraceLine[] = [];
  try {
    for await (const record of readTrace(command.trace, { onMalformed: (problem) => problems.push(problem) }))
      records.push(record);
  } catch (error) {
    io.stderr.write(`troupe inspect: cannot read ${command.trace}: ${(error as Error).message}\n`);
    return 1;
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    io.stderr.write(
      `troupe inspect: skipped ${problems.length} malformed line(s) of ${command.trace}; line ${first.line}: ${first.message}\n`,
    );
  }
  const token = isLoopbackHost(command.host) ? undefined : newAccessToken();
  const server = await startInspectServer({
    source: traceSource(basename(command.trace), records, problems),
    host: command.host,
    port: command.port,
    // The name it was bound to is allowed as a Host, like the host's server.
    access: { allowedHosts: resolveHttpAccessConfig({}, command.host).allowedHosts, token },
  });
  const address = token ? `${server.url}?token=${token}` : server.url;
  io.stdout.write(`${records.length} records from ${command.trace}\nopen ${address}\n`);
  const stopped =
    io.stopped ??
    new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
  await stopped;
  await server.close();
  return 0;
};
