// The visualizer page's JavaScript (page/main.ts and what it imports, the replay reducer included),
// bundled for the browser with esbuild. The build writes it once next to the built module
// (dist/inspect/inspectPage.js, see scripts/afterBuild.ts); run from the sources, it is bundled in
// memory on the first request instead. Nothing is fetched: the host serves the page from this string.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The bundle's file name: the build writes it beside this module's built copy. */
export const BUILT_PAGE_FILE = "inspectPage.js";

/** Bundle the page from its sources with esbuild (a dev dependency). */
export const bundlePageSources = async (): Promise<string> => {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./page/main.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["troupe-source"],
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
};

let bundled: Promise<string> | undefined;

/** The page's JavaScript (an ES module): the built bundle, or one made from the sources. */
export const bundlePage = (): Promise<string> => {
  bundled ??= readFile(new URL(BUILT_PAGE_FILE, import.meta.url), "utf8").catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
      return bundlePageSources();
    },
  );
  bundled.catch(() => {
    bundled = undefined;
  });
  return bundled;
};
