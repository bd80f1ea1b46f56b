// Bundles the visualizer page (page/main.ts and what it imports, the replay reducer included) for
// the browser with esbuild, in memory, once per process on the first request for it. Nothing is
// written to disk and nothing is fetched: the page is served by the host from this string.
import { fileURLToPath } from "node:url";

let bundled: Promise<string> | undefined;

/** The page's JavaScript (an ES module). Rejects when esbuild (a dev dependency) is missing. */
export const bundlePage = (): Promise<string> => {
  bundled ??= (async () => {
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
  })();
  bundled.catch(() => {
    bundled = undefined;
  });
  return bundled;
};
