// Who may use the host's HTTP routes. Every request must name this server in its `Host` header —
// a loopback name (localhost, *.localhost), an IP address, the name it was bound to, or a name in
// TROUPE_HTTP_ALLOWED_HOSTS — or it is answered 421: a web page that rebinds its own DNS name to
// 127.0.0.1 (DNS rebinding) reaches the port but still sends its own name. When there is a token
// (TROUPE_HTTP_TOKEN, or one made at start when the server is bound beyond loopback), /inspect — the
// page, its event stream and its API, which carry task text — also needs it: as `Authorization:
// Bearer <token>`, as `?token=` (the page's address then sets a cookie and drops it from the
// address bar), or as that cookie. /metrics and /healthz carry no task content and need no token.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";

export interface HttpAccess {
  /** Host names accepted besides loopback names and IP addresses (lower case; ".x.y" = x.y and below). */
  readonly allowedHosts: readonly string[];
  /** What /inspect needs; undefined: nothing. */
  readonly token: string | undefined;
}

/** Loopback names and IP addresses only, and no token: for a server on this machine. */
export const LOCAL_ACCESS: HttpAccess = { allowedHosts: [], token: undefined };

const LOOPBACK_NAMES = new Set(["localhost", "ip6-localhost", "ip6-loopback"]);

/** Whether a bind address (or name) keeps the server on this machine. */
export const isLoopbackHost = (host: string): boolean => {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  if (LOOPBACK_NAMES.has(name) || name.endsWith(".localhost")) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (isIP(name) === 6) return name === "::1" || /^::ffff:127\./.test(name);
  return false;
};

/** A fresh token for /inspect: 32 random bytes, URL-safe. */
export const newAccessToken = (): string => randomBytes(32).toString("base64url");

/** The name part of a Host header (`name`, `name:port`, `[v6]:port`), lower case, or undefined. */
const hostName = (header: string | undefined): string | undefined => {
  if (!header) return undefined;
  const value = header.trim().toLowerCase();
  const name = value.startsWith("[") ? value.slice(1, value.indexOf("]")) : value.replace(/:\d*$/, "");
  return name.replace(/\.$/, "") || undefined;
};

const hostAllowed = (access: HttpAccess, header: string | undefined): boolean => {
  const name = hostName(header);
  if (name === undefined) return false;
  if (isIP(name) !== 0 || LOOPBACK_NAMES.has(name) || name.endsWith(".localhost")) return true;
  return access.allowedHosts.some((allowed) =>
    allowed.startsWith(".") ? name === allowed.slice(1) || name.endsWith(allowed) : name === allowed,
  );
};

const digest = (text: string) => createHash("sha256").update(text).digest();
const sameToken = (given: string | undefined, token: string) =>
  given !== undefined && timingSafeEqual(digest(given), digest(token));

/** The cookie that carries the token for one server (cookies are not kept apart by port). */
const cookieName = (request: IncomingMessage) => `troupe_inspect_${request.socket.localPort ?? 0}`;

const cookie = (request: IncomingMessage, name: string): string | undefined => {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
};

const bearer = (request: IncomingMessage): string | undefined =>
  /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];

const refuse = (response: ServerResponse, status: number, error: string) => {
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  response.end(`${JSON.stringify({ error })}\n`);
};

/**
 * Check a request before any route sees it; true when it was answered here (refused, or the
 * token moved from the address into a cookie) and the caller must do nothing more.
 */
export const answeredByAccess = (
  access: HttpAccess,
  request: IncomingMessage,
  response: ServerResponse,
): boolean => {
  if (!hostAllowed(access, request.headers.host)) {
    const shown = JSON.stringify((request.headers.host ?? "").slice(0, 100));
    refuse(
      response,
      421,
      `this server does not answer to Host ${shown}: use its IP address or localhost, or add the name to TROUPE_HTTP_ALLOWED_HOSTS`,
    );
    return true;
  }
  const url = new URL(request.url ?? "/", "http://localhost");
  const inspect = url.pathname === "/inspect" || url.pathname.startsWith("/inspect/");
  if (!inspect || access.token === undefined) return false;
  const name = cookieName(request);
  const fromQuery = url.searchParams.get("token") ?? undefined;
  if (sameToken(fromQuery, access.token) && (url.pathname === "/inspect" || url.pathname === "/inspect/")) {
    // The page's address carried the token: keep it in a cookie and take it out of the address bar.
    response.writeHead(303, {
      location: "/inspect",
      "set-cookie": `${name}=${access.token}; Path=/inspect; HttpOnly; SameSite=Strict`,
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    });
    response.end();
    return true;
  }
  if ([fromQuery, bearer(request), cookie(request, name)].some((given) => sameToken(given, access.token!)))
    return false;
  refuse(
    response,
    401,
    "/inspect needs the token: open the /inspect address troupe printed when it started, or send Authorization: Bearer <TROUPE_HTTP_TOKEN>",
  );
  return true;
};
