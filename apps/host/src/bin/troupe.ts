#!/usr/bin/env node
// The `troupe` executable: hands the arguments and the process's streams to main() and exits with
// its code. Run from the repository with `npm start`, or `node --conditions=troupe-source` on this file.
import { main } from "../cli/main.ts";

// Once main returns nothing should keep the process alive; if something does, do not hang forever.
const EXIT_GRACE_MS = 3_000;

const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
setTimeout(() => {
  process.stderr.write(`troupe: something kept the process alive after it stopped; exiting with ${code}\n`);
  process.exit(code);
}, EXIT_GRACE_MS).unref();
