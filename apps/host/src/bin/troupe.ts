#!/usr/bin/env node
// The `troupe` executable, built to dist/bin/troupe.js (`npx troupe`, or `troupe` after a global
// install). From the repository's sources: `npm start`, or `node --conditions=troupe-source` on this file.
import { runAsProcess } from "../cli/runAsProcess.ts";

await runAsProcess();
