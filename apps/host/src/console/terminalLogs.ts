// In a terminal the console is quiet: the host's log records go to a file in the data folder, and
// only warnings and errors reach the screen, as one short line printed above the prompt like any
// other console line. Piped, or with --log-level / TROUPE_LOG_LEVEL, runStart keeps JSON lines on
// stderr instead. The records are the same JSON lines either way, with secrets redacted.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { jsonLogger, type Logger, type LogLevel, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "@troupe/runtime";
import { printableLine } from "./printable.ts";

export interface TerminalLogs {
  readonly logger: Logger;
  /** The file every record at the configured level goes to. */
  readonly path: string;
  /** Show warnings and errors with `print` (the console's, which keeps the prompt whole); undefined: the fallback again. */
  printWith(print: ((line: string) => void) | undefined): void;
  close(): void;
}

/** The screen's form of a record: `⚠ error: http could not listen {"port":9464}`. */
const screenLine = (json: string): string => {
  const {
    time: _time,
    level,
    msg,
    service: _service,
    ...fields
  } = JSON.parse(json) as Record<string, unknown>;
  return `⚠ ${String(level)}: ${printableLine(String(msg))}${Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ""}`;
};

export const openTerminalLogs = (options: {
  readonly path: string;
  readonly level: LogLevel;
  /** Where warnings and errors go while no console prints them (before it starts). */
  readonly fallback: (line: string) => void;
}): TerminalLogs => {
  // Private like every file troupe writes (docs/security.md): logs hold task text.
  mkdirSync(dirname(options.path), { recursive: true, mode: PRIVATE_DIR_MODE });
  const fd = openSync(options.path, "a", PRIVATE_FILE_MODE);
  let print = options.fallback;
  const base = { service: "troupe" };
  const file = jsonLogger({ level: options.level, base, write: (line) => writeSync(fd, line) });
  const screen = jsonLogger({ level: "warn", base, write: (line) => print(screenLine(line)) });
  return {
    logger: {
      log(level, message, fields) {
        file.log(level, message, fields);
        screen.log(level, message, fields);
      },
    },
    path: options.path,
    printWith(next) {
      print = next ?? options.fallback;
    },
    close: () => closeSync(fd),
  };
};
