// What tsc does not do for the host's build: bundle the visualizer page into dist/inspect (the
// built host serves it without esbuild), and make dist/bin/troupe.js executable, so the `troupe`
// link npm made in node_modules/.bin runs on a fresh clone. Run by `npm run build` after tsc.
import { chmod, writeFile } from "node:fs/promises";
import { BUILT_PAGE_FILE, bundlePageSources } from "../src/inspect/bundlePage.ts";

const dist = new URL("../dist/", import.meta.url);
await writeFile(new URL(`inspect/${BUILT_PAGE_FILE}`, dist), await bundlePageSources());
await chmod(new URL("bin/troupe.js", dist), 0o755);
