// Structured logging: one JSON object per line, with secrets redacted by key and by value shape
// (redactSecrets.ts) so a token can never reach a log even when it sits inside an error's data.
import { redactText } from "./redactSecrets.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /token|secret|password|authorization|api[-_]?key|cookie/i;

export const redact = (value: unknown, depth = 0): unknown => {
  if (typeof value === "string") return redactText(value);
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redact(value.message, depth + 1),
      ...(redact({ ...value }, depth + 1) as object),
    };
  }
  if (value === null || typeof value !== "object" || depth > 6) return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? "[redacted]" : redact(field, depth + 1);
  }
  return out;
};

/** A logger writing JSON lines to a stream (stderr by default, so stdout stays for the console). */
export const jsonLogger = (
  options: { level?: LogLevel; write?: (line: string) => void; base?: Record<string, unknown> } = {},
): Logger => {
  const threshold = LEVELS[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  return {
    log(level, message, fields) {
      if (LEVELS[level] < threshold) return;
      const record = {
        time: new Date().toISOString(),
        level,
        msg: redact(message),
        ...options.base,
        ...(redact(fields ?? {}) as object),
      };
      write(`${JSON.stringify(record)}\n`);
    },
  };
};

export const silentLogger: Logger = { log() {} };
