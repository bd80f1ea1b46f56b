// TROUPE_MAX_TASK_BYTES: the largest task the host takes from any entry (console, Discord, slash
// commands, MCP, other programs on the Redis stream), JSON-encoded. A whole number of bytes, or
// with KB or MB (1024-based); from 1 KB to 16 MB, 1 MB by default.
import { DEFAULT_MAX_TASK_BYTES, TroupeError } from "@troupe/runtime";

const MIN_BYTES = 1_024;
const MAX_BYTES = 16 * 1_048_576;
const UNITS: Readonly<Record<string, number>> = { "": 1, kb: 1_024, mb: 1_048_576 };

export const resolveMaxTaskBytes = (env: NodeJS.ProcessEnv): number => {
  const raw = env.TROUPE_MAX_TASK_BYTES?.trim() ?? "";
  if (raw === "") return DEFAULT_MAX_TASK_BYTES;
  const match = /^(\d{1,9})\s*(kb|mb)?$/i.exec(raw);
  const bytes = match ? Number(match[1]) * UNITS[(match[2] ?? "").toLowerCase()]! : Number.NaN;
  if (!(bytes >= MIN_BYTES && bytes <= MAX_BYTES))
    throw new TroupeError(
      "InvalidCommand",
      `TROUPE_MAX_TASK_BYTES must be a size from 1KB to 16MB, such as 262144, 512KB or 2MB, got "${raw}"`,
    );
  return bytes;
};
