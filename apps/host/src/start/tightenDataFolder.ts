// At `troupe start`, before anything is opened: Troupe's folders (the data folder, the alert file
// drop, the Discord fallback spool) become 0700 and the files Troupe wrote in them 0600, for data
// folders made by an older troupe or under a loose umask. Only Troupe's own names are touched
// (the store and memory files with their -wal/-shm, alert and spool files, their own subfolders),
// never a symlink or another user's file. What changed is said in one log line; a Kakao token file
// that others can read is one warning (it is the user's file: troupe reads it, never changes it).
import { chmod, lstat, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Logger, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "@troupe/runtime";
import type { HostConfig } from "../config/hostConfig.ts";

/** Files Troupe writes: SQLite stores and memory, alert files, spooled posts, temporary files. */
const OWN_FILE = /\.(sqlite(-wal|-shm|-journal)?|json|jsonl|tmp|log|lock)$/;
/** Subfolders Troupe makes inside its folders. */
const OWN_FOLDERS = new Set(["alerts", "discord-fallback", "rejected", "traces"]);

const OPEN_TO_OTHERS = 0o077;

/** A chmod that fails (the file went away, or is not ours after all) changes nothing to report. */
const noop = () => {};

const tighten = async (path: string, changed: string[]): Promise<void> => {
  const info = await lstat(path).catch(() => undefined);
  if (!info || info.isSymbolicLink() || info.uid !== process.getuid?.()) return;
  if (info.isFile()) {
    if (info.mode & OPEN_TO_OTHERS) await chmod(path, PRIVATE_FILE_MODE).then(() => changed.push(path), noop);
    return;
  }
  if (!info.isDirectory()) return;
  if (info.mode & OPEN_TO_OTHERS) await chmod(path, PRIVATE_DIR_MODE).then(() => changed.push(path), noop);
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory() ? OWN_FOLDERS.has(entry.name) : OWN_FILE.test(entry.name))
      await tighten(join(path, entry.name), changed);
  }
};

/** Make Troupe's existing folders and files private; logs once what it changed. */
export const tightenDataFolder = async (config: HostConfig, logger: Logger): Promise<void> => {
  if (process.platform === "win32") return;
  const fileDrop = config.notify.sinks.find((sink) => sink.name === "file");
  const folders = new Set([
    config.dataDir,
    ...(fileDrop?.name === "file" ? [fileDrop.dir] : []),
    ...(config.discord ? [config.discordFallbackDir] : []),
  ]);
  const changed: string[] = [];
  for (const folder of folders) await tighten(folder, changed);
  if (changed.length > 0)
    logger.log(
      "warn",
      "troupe's files were readable by other users: made private (folders 0700, files 0600)",
      {
        count: changed.length,
        paths: changed.slice(0, 10),
      },
    );
  const kakao = config.notify.sinks.find((sink) => sink.name === "kakao");
  const tokenFile = kakao?.name === "kakao" ? kakao.tokenFile : undefined;
  if (tokenFile) {
    const info = await stat(tokenFile).catch(() => undefined);
    if (info && info.mode & OPEN_TO_OTHERS)
      logger.log("warn", "KAKAO_TOKEN_FILE can be read by other users of this machine: chmod 600 it", {
        file: tokenFile,
      });
  }
};
