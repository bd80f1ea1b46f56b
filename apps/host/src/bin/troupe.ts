#!/usr/bin/env node
// The `troupe` executable. Built to dist/bin/troupe.js, which bin/troupe.js (what npm links:
// `npx troupe`, or `troupe` after a global install) runs. From the repository's sources: `npm start`,
// or `node --conditions=troupe-source` on this file. V8's pretenuring is set before the runtime loads.
import { configureProcessPretenuring } from "../cli/v8Pretenuring.ts";

configureProcessPretenuring();
const { runAsProcess } = await import("../cli/runAsProcess.ts");
await runAsProcess();
