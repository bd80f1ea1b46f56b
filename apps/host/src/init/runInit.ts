// `troupe init <folder>`: a new project in a new (or empty) folder, with one agent, its test, the
// entry that runs troupe with it, a .env.example and a README. Nothing is installed or fetched here:
// the README's first command, npm install, does that.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { Writable } from "node:stream";
import { hostVersion } from "../cli/hostVersion.ts";
import { projectFiles } from "./projectFiles.ts";

export interface InitIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export const initUsage = `troupe init: start a project of your own with one agent and its test.

Usage:
  troupe init <folder>

Writes, into a new or empty folder: src/summarizer.ts (an agent that asks its model), its test on
@troupe/runtime/testing with a scripted model, src/main.ts (troupe with that agent added to its team),
package.json, tsconfig.json, .env.example and a README. Then: cd <folder>, npm install && npm start,
npm test.
`;

// What npm accepts as a package name (lower case, URL-safe), which the folder's name becomes.
const PACKAGE_NAME = /^[a-z0-9][a-z0-9._~-]{0,213}$/;

/** `troupe init`; returns the exit code (2 for a usage error, 1 when the folder is in use). */
export const runInit = async (
  args: readonly string[],
  io: InitIo,
  cwd: string = process.cwd(),
): Promise<number> => {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    io.stdout.write(initUsage);
    return 0;
  }
  if (args.length !== 1 || args[0]!.startsWith("-")) {
    io.stderr.write(
      `troupe init: ${args.length === 0 ? "name the folder to create" : `unexpected arguments "${args.join(" ")}"`}\n` +
        'Run "troupe init --help" for usage.\n',
    );
    return 2;
  }
  const folder = resolve(cwd, args[0]!);
  const name = basename(folder);
  if (!PACKAGE_NAME.test(name)) {
    io.stderr.write(
      `troupe init: "${name}" cannot be a package name: use lower-case letters, digits, "-", "." or "_"\n`,
    );
    return 2;
  }
  if (existsSync(folder) && readdirSync(folder).length > 0) {
    io.stderr.write(`troupe init: ${folder} is not empty; nothing was written\n`);
    return 1;
  }
  for (const [path, text] of Object.entries(projectFiles(name, hostVersion()))) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  io.stdout.write(
    `Created ${name}: src/summarizer.ts (one agent), its test, .env.example and a README.\n\n` +
      `  cd ${relative(cwd, folder) || "."}\n  npm install && npm start\n  npm test\n`,
  );
  return 0;
};
