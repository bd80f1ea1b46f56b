// Who may use the HTTP server, from the environment: TROUPE_HTTP_ALLOWED_HOSTS (names a request's
// Host header may carry besides loopback names and IP addresses; ".lan" allows every name under
// lan) and TROUPE_HTTP_TOKEN (what /inspect needs; at least 16 characters, never printed). A name
// the server is bound to (TROUPE_HTTP_HOST=box.lan) is allowed without being listed. A bad value
// stops the start with one line naming the variable.
import { isIP } from "node:net";
import { TroupeError } from "@troupe/runtime";

export interface HttpAccessConfig {
  /** Lower-case names (".x" = x and every name under it). */
  readonly allowedHosts: readonly string[];
  /** TROUPE_HTTP_TOKEN; undefined: none configured (one is made at start beyond loopback). */
  readonly token: string | undefined;
}

const HOST_NAME = /^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const TOKEN = /^[A-Za-z0-9._~+/=-]{16,}$/;

const invalid = (variable: string, reason: string) =>
  new TroupeError("InvalidCommand", `${variable} ${reason}`);

export const resolveHttpAccessConfig = (env: NodeJS.ProcessEnv, httpHost: string): HttpAccessConfig => {
  const allowedHosts: string[] = [];
  for (const item of (env.TROUPE_HTTP_ALLOWED_HOSTS ?? "").split(",")) {
    const name = item.trim().toLowerCase().replace(/\.$/, "");
    if (name === "") continue;
    if (!HOST_NAME.test(name) && isIP(name) === 0)
      throw invalid(
        "TROUPE_HTTP_ALLOWED_HOSTS",
        `must be a comma-separated list of host names (e.g. troupe.lan, or .lan for every name under lan), got "${item.trim()}"`,
      );
    allowedHosts.push(name);
  }
  const bound = httpHost.trim().toLowerCase();
  if (HOST_NAME.test(bound) && !bound.startsWith(".") && isIP(bound) === 0) allowedHosts.push(bound);
  const token = env.TROUPE_HTTP_TOKEN?.trim() || undefined;
  if (token !== undefined && !TOKEN.test(token))
    throw invalid(
      "TROUPE_HTTP_TOKEN",
      "must be at least 16 letters, digits or ._~+/=- characters (openssl rand -hex 32 makes one)",
    );
  return { allowedHosts: [...new Set(allowedHosts)], token };
};
