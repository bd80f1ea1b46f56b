// Which failures of a surface call mean the surface is unreachable for now (keep the call and try it
// again later) and which are the caller's problem (a 4xx: bad request, missing permission, unknown
// channel) that must surface at once. It reads shapes only, so the core never imports a chat library:
// discord.js's DiscordAPIError (4xx) and HTTPError (5xx, after its own retries) carry `status`;
// undici's network errors carry a `code` (ECONNREFUSED, UND_ERR_SOCKET, …) on themselves or on their
// `cause`; a request that timed out is an AbortError or a TimeoutError. Troupe's own errors are never
// transient.
import { TroupeError } from "../errors/TroupeError.ts";

const NETWORK_CODE = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;

export const isTransientSurfaceError = (error: unknown): boolean => {
  if (typeof error !== "object" || error === null || error instanceof TroupeError) return false;
  const { status, name } = error as { status?: unknown; name?: unknown };
  if (typeof status === "number") return status >= 500 || status === 408 || status === 429;
  if (name === "AbortError" || name === "TimeoutError") return true;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth += 1) {
    const { code } = current as { code?: unknown };
    if (typeof code === "string" && NETWORK_CODE.test(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
};
