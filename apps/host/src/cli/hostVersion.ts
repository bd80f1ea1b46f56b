// The version of @troupe/host, read from its package.json (the same file from the sources and once
// built): `troupe --version` prints it and `troupe init` depends on the packages at it.
import { readFileSync } from "node:fs";

export const hostVersion = (): string => {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: string;
  };
  return manifest.version ?? "unknown";
};
