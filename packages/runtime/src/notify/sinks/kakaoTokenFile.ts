// Seeding the Kakao tokens from a file (KAKAO_TOKEN_FILE): the JSON Kakao's token endpoint
// answered, saved by another tool, read once into the store when the store has none. A file that
// cannot be used is refused with an error naming the file and what is wrong with it.
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { TroupeError } from "../../errors/TroupeError.ts";
import type { KakaoTokens } from "../OutboxStore.ts";

const bad = (path: string, why: string) =>
  new TroupeError("InvalidTokenFile", `the Kakao token file ${path} ${why}`, { data: { path } });

const when = (value: unknown, path: string, field: string): number | undefined => {
  if (value === undefined || value === null) return undefined;
  const at = typeof value === "number" ? value : Date.parse(String(value));
  if (!Number.isFinite(at)) throw bad(path, `has an unreadable ${field}: ${JSON.stringify(value)}`);
  return at;
};

/**
 * Read `{ access_token, refresh_token, expires_in?, refresh_token_expires_in?, expires_at?,
 * refresh_token_expires_at? }`; relative expiries count from the file's modification time.
 */
export const readKakaoTokenFile = async (file: string): Promise<KakaoTokens> => {
  const path = resolve(file);
  let text: string;
  let modifiedAt: number;
  try {
    [text, modifiedAt] = await Promise.all([readFile(path, "utf8"), stat(path).then((info) => info.mtimeMs)]);
  } catch (error) {
    throw bad(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not a JSON object");
    body = parsed as Record<string, unknown>;
  } catch (error) {
    throw bad(path, `is not a JSON object of tokens (${(error as Error).message})`);
  }
  for (const field of ["access_token", "refresh_token"])
    if (typeof body[field] !== "string" || body[field] === "") throw bad(path, `has no ${field}`);
  const relative = (field: string) => {
    const seconds = body[field];
    if (seconds === undefined) return undefined;
    if (typeof seconds !== "number" || !(seconds >= 0))
      throw bad(path, `has a bad ${field}: ${JSON.stringify(seconds)}`);
    return modifiedAt + seconds * 1_000;
  };
  return {
    accessToken: body.access_token as string,
    refreshToken: body.refresh_token as string,
    // Unknown expiry: treat the access token as expired, so the first send refreshes it.
    accessExpiresAt: when(body.expires_at, path, "expires_at") ?? relative("expires_in") ?? 0,
    refreshExpiresAt:
      when(body.refresh_token_expires_at, path, "refresh_token_expires_at") ??
      relative("refresh_token_expires_in") ??
      null,
    updatedAt: modifiedAt,
  };
};
