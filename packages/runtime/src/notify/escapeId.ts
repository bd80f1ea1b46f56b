// Where an alert's id (or a delivery's, which starts with it) becomes part of a name with a narrower
// alphabet — a file name, an HTTP header — the characters outside that alphabet are written as %XX
// of their UTF-8 bytes ("%" itself always is), so every id has a name, two ids never share one, and
// a name that fits decodes back to its id (decodeURIComponent). A name longer than its place allows
// is cut and ends in "~" and a hash of the whole id, so it stays stable and unique.
import { createHash } from "node:crypto";

const HASH_LENGTH = 16;

const percentEncoded = (character: string): string =>
  [...Buffer.from(character, "utf8")]
    .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)
    .join("");

/** `id` with every character `keep` does not match (and "%") as %XX, at most `maxLength` long. */
export const escapeId = (id: string, keep: RegExp, maxLength: number): string => {
  let escaped = "";
  for (const character of id)
    escaped += character !== "%" && keep.test(character) ? character : percentEncoded(character);
  if (escaped.length <= maxLength) return escaped;
  let cut = escaped.slice(0, maxLength - HASH_LENGTH - 1);
  // Never end inside a %XX.
  const percent = cut.lastIndexOf("%");
  if (percent >= 0 && percent > cut.length - 3) cut = cut.slice(0, percent);
  return `${cut}~${createHash("sha256").update(id).digest("hex").slice(0, HASH_LENGTH)}`;
};

/** The longest file name stem: with ".json" and a temporary ".<pid>.tmp", well under 255 bytes. */
const FILE_STEM_MAX = 200;

/** A file name for a message id: letters, digits and "._~-" as they are, the rest %XX. */
export const fileNameOf = (id: string): string => `${escapeId(id, /^[A-Za-z0-9._~-]$/, FILE_STEM_MAX)}.json`;

/** An HTTP header value for a message id: visible ASCII as it is, the rest %XX. */
export const headerValueOf = (id: string): string => escapeId(id, /^[\x21-\x7E]$/, 1_000);
