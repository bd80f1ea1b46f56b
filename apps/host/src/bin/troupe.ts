#!/usr/bin/env node
// The `troupe` executable. Built to dist/bin/troupe.js, which bin/troupe.js (what npm links:
// `npx troupe`, or `troupe` after a global install) runs. From the repository's sources: `npm start`,
// or `node --conditions=troupe-source` on this file.
import { runAsProcess } from "../cli/runAsProcess.ts";

await runAsProcess();
