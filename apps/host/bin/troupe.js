#!/usr/bin/env node
// The `troupe` executable npm links: it runs the built host (dist/, which `npm run build` makes; on a
// clone `npm install` runs it). Plain JavaScript kept in the repository, so the link exists before
// the build does.
import { existsSync } from "node:fs";

const built = new URL("../dist/bin/troupe.js", import.meta.url);
if (existsSync(built)) await import(built.href);
else {
  process.stderr.write(
    "troupe: the host is not built yet: run npm run build (npm install does it on a clone)\n",
  );
  process.exitCode = 1;
}
