// Runs main() as the process: hands it the arguments and the process's streams, and exits with its
// code. Shared by the `troupe` executable and the tests' executable that adds test agents.
import { type HostAgents, main } from "./main.ts";

// Once main returns nothing should keep the process alive; if something does, do not hang forever.
const EXIT_GRACE_MS = 3_000;

export const runAsProcess = async (agents: HostAgents = {}): Promise<void> => {
  const code = await main(
    process.argv.slice(2),
    { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env },
    agents,
  );
  process.exitCode = code;
  setTimeout(() => {
    process.stderr.write(`troupe: something kept the process alive after it stopped; exiting with ${code}\n`);
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
};
