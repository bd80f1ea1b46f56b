// Writing a file so that a reader (or the next start after a crash) sees either the whole new file or
// none of it: the data goes to a temporary file beside it, which is then renamed into place (a rename
// within one folder is atomic). Used by the notifier's file drop and the surface's file-drop fallback.
// The file is private (0600) from its first byte.
import { rename, writeFile } from "node:fs/promises";
import { PRIVATE_FILE_MODE } from "./privateFiles.ts";

/** The suffix of the temporary files; a folder's leftovers with it are half-written and can go. */
export const TEMPORARY_SUFFIX = ".tmp";

export const writeFileAtomically = async (path: string, data: string | Uint8Array): Promise<void> => {
  const temporary = `${path}.${process.pid}${TEMPORARY_SUFFIX}`;
  await writeFile(temporary, data, { mode: PRIVATE_FILE_MODE });
  await rename(temporary, path);
};
