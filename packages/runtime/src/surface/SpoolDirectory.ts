// The folder behind the surface's file-drop fallback: one JSON file per outgoing operation, named by
// its sequence number (`000000000042-post.json`) so the folder lists in the order the calls were made,
// each written atomically (a crash leaves a whole file or none; half-written temporary files are
// removed at the next open). A delivered operation's file is deleted; one the surface refused for good
// is moved to `rejected/` with the reason, for a person to look at. Attachments are kept as base64.
import { readdir, readFile, rename, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { TroupeError } from "../errors/TroupeError.ts";
import { makePrivateDirAsync } from "../internal/privateFiles.ts";
import { TEMPORARY_SUFFIX, writeFileAtomically } from "../internal/writeFileAtomically.ts";
import type { SurfaceMessageRef, SurfacePost } from "./Surface.ts";

/** An outgoing call kept for later; `placeholder` is the id its caller was given instead of the real one. */
export type SpooledOperation =
  | {
      readonly op: "startThread";
      readonly on: SurfaceMessageRef;
      readonly name: string;
      readonly placeholder: string;
    }
  | {
      readonly op: "post";
      readonly channelId: string;
      /** Where the post goes when `channelId` is a thread that was never created (its parent channel). */
      readonly fallbackChannelId?: string;
      readonly post: SurfacePost;
      readonly placeholder: string;
    }
  | { readonly op: "react" | "unreact"; readonly on: SurfaceMessageRef; readonly emoji: string };

export interface SpoolEntry {
  readonly seq: number;
  readonly file: string;
  readonly operation: SpooledOperation;
}

export interface SpoolDirectory {
  readonly dir: string;
  /** Operations left by an earlier run, oldest first. */
  readonly leftovers: readonly SpoolEntry[];
  /** Files that could not be read, moved to `rejected/` while opening. */
  readonly unreadable: readonly string[];
  write(seq: number, operation: SpooledOperation): Promise<SpoolEntry>;
  remove(entry: SpoolEntry): Promise<void>;
  /** Move the entry to `rejected/`, with why. */
  reject(entry: SpoolEntry, reason: string): Promise<void>;
}

const FILE = /^(\d{12})-(startThread|post|react|unreact)\.json$/;
export const REJECTED_DIR = "rejected";

/** The file of an operation: its sequence number first, so names sort in call order. */
export const spoolFileName = (seq: number, operation: SpooledOperation): string =>
  `${String(seq).padStart(12, "0")}-${operation.op}.json`;

const encode = (operation: SpooledOperation): unknown =>
  operation.op === "post" && operation.post.files?.length
    ? {
        ...operation,
        post: {
          ...operation.post,
          files: operation.post.files.map((file) => ({
            name: file.name,
            base64: Buffer.from(file.data).toString("base64"),
          })),
        },
      }
    : operation;

const decode = (value: unknown): SpooledOperation => {
  const operation = value as SpooledOperation;
  if (operation.op !== "post" || !operation.post.files) return operation;
  const files = operation.post.files as unknown as readonly { name: string; base64: string }[];
  return {
    ...operation,
    post: {
      ...operation.post,
      files: files.map((file) => ({
        name: file.name,
        data: new Uint8Array(Buffer.from(file.base64, "base64")),
      })),
    },
  };
};

/** Open (creating it) the folder and read what an earlier run left in it; throws when it cannot be used. */
export const openSpoolDirectory = async (folder: string): Promise<SpoolDirectory> => {
  const dir = resolve(folder);
  const rejectedDir = join(dir, REJECTED_DIR);
  let names: string[];
  try {
    await makePrivateDirAsync(rejectedDir);
    // Fails at once on a folder we may not write into, instead of at the first outage.
    await writeFileAtomically(join(dir, ".writable"), "");
    await unlink(join(dir, ".writable"));
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TroupeError("FolderUnusable", `the file-drop folder ${dir} cannot be used: ${code ?? error}`, {
      cause: error,
      data: { dir },
    });
  }
  const leftovers: SpoolEntry[] = [];
  const unreadable: string[] = [];
  for (const name of names.sort()) {
    if (name.endsWith(TEMPORARY_SUFFIX)) {
      await unlink(join(dir, name)).catch(() => {});
      continue;
    }
    const match = FILE.exec(name);
    if (!match) continue;
    try {
      const stored = JSON.parse(await readFile(join(dir, name), "utf8")) as { operation: unknown };
      leftovers.push({ seq: Number(match[1]), file: name, operation: decode(stored.operation) });
    } catch {
      await rename(join(dir, name), join(rejectedDir, name)).catch(() => {});
      unreadable.push(name);
    }
  }
  const remove = async (entry: SpoolEntry) => {
    await unlink(join(dir, entry.file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  };
  return {
    dir,
    leftovers,
    unreadable,
    async write(seq, operation) {
      const file = spoolFileName(seq, operation);
      const body = { seq, spooledAt: new Date().toISOString(), operation: encode(operation) };
      await writeFileAtomically(join(dir, file), `${JSON.stringify(body)}\n`);
      return { seq, file, operation };
    },
    remove,
    async reject(entry, reason) {
      const body = {
        seq: entry.seq,
        rejectedAt: new Date().toISOString(),
        reason,
        operation: encode(entry.operation),
      };
      await writeFileAtomically(join(rejectedDir, entry.file), `${JSON.stringify(body)}\n`);
      await remove(entry);
    },
  };
};
