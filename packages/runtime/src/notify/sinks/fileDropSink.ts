// Alerts as files in a folder (the file drop): one JSON file per message, named by its
// deterministic id (characters a file name cannot hold written as %XX, see escapeId.ts) and written atomically (a temporary file renamed into place), so a redelivery
// overwrites the same file instead of adding a copy. The last resort at the end of a fallback order.
import { join, resolve } from "node:path";
import { makePrivateDirAsync } from "../../internal/privateFiles.ts";
import { writeFileAtomically } from "../../internal/writeFileAtomically.ts";
import { fileNameOf } from "../escapeId.ts";
import type { OutboundMessage, SendResult, Sink } from "../Sink.ts";

export interface FileDropSinkOptions {
  readonly name?: string;
  readonly dir: string;
}

export const createFileDropSink = (options: FileDropSinkOptions): Sink => {
  const dir = resolve(options.dir);
  return {
    name: options.name ?? "file",
    format: { maxLength: 100_000, style: "plain" },
    async send(message: OutboundMessage): Promise<SendResult> {
      const path = join(dir, fileNameOf(message.id));
      try {
        await makePrivateDirAsync(dir);
        await writeFileAtomically(
          path,
          `${JSON.stringify({ ...message, writtenAt: new Date().toISOString() })}\n`,
        );
        return { kind: "ok" };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = `cannot write ${path}: ${code ?? (error as Error).message}`;
        // A full disk may clear up; a folder we may not write into will not.
        return code === "EACCES" || code === "EROFS" || code === "ENOTDIR"
          ? { kind: "permanent", reason }
          : { kind: "retry", reason };
      }
    },
  };
};
