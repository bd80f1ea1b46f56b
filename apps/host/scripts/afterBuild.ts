// What tsc does not do for the host's build: bundle the visualizer page into dist/inspect, so the
// built host serves it without esbuild. Run by `npm run build` after tsc.
import { writeFile } from "node:fs/promises";
import { BUILT_PAGE_FILE, bundlePageSources } from "../src/inspect/bundlePage.ts";

const dist = new URL("../dist/", import.meta.url);
await writeFile(new URL(`inspect/${BUILT_PAGE_FILE}`, dist), await bundlePageSources());
