// The `troupe` command line: which command to run and with which options, parsed with node:util's
// parseArgs. Anything unknown or malformed is an InvalidCommand error whose reason is one line.
import { parseArgs } from "node:util";
import { TroupeError } from "@troupe/runtime";

/** Options of `start` as given on the command line (unset ones fall back to the environment). */
export interface StartOptions {
  readonly host?: string;
  readonly port?: string;
  readonly logLevel?: string;
  readonly drainTimeout?: string;
  readonly redisUrl?: string;
  readonly dataDir?: string;
  readonly namespace?: string;
  readonly consumer?: string;
  readonly lease?: string;
}

export type CommandLine =
  | { readonly command: "help"; readonly topic: "main" | "start" }
  | { readonly command: "version" }
  | { readonly command: "start"; readonly options: StartOptions };

const COMMANDS = ["start", "help"] as const;
type CommandName = (typeof COMMANDS)[number];

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  host: { type: "string" },
  port: { type: "string" },
  "log-level": { type: "string" },
  "drain-timeout": { type: "string" },
  "redis-url": { type: "string" },
  "data-dir": { type: "string" },
  namespace: { type: "string" },
  consumer: { type: "string" },
  lease: { type: "string" },
} as const;
type OptionName = keyof typeof OPTIONS;

const START_OPTIONS: readonly OptionName[] = [
  "help",
  "host",
  "port",
  "log-level",
  "drain-timeout",
  "redis-url",
  "data-dir",
  "namespace",
  "consumer",
  "lease",
];
const ALLOWED: Record<CommandName | "none", readonly OptionName[]> = {
  none: [...START_OPTIONS, "version"],
  start: START_OPTIONS,
  help: ["help"],
};

const usageError = (reason: string) => new TroupeError("InvalidCommand", reason);

/** Parse `troupe`'s arguments (without node and the script); throws InvalidCommand on bad input. */
export const parseCommandLine = (args: readonly string[]): CommandLine => {
  const { tokens } = parseArgs({
    args: [...args],
    options: OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const positionals = tokens.flatMap((token) => (token.kind === "positional" ? [token.value] : []));
  const [first, ...rest] = positionals;
  let command: CommandName | "none" = "none";
  if (first !== undefined) {
    if (!(COMMANDS as readonly string[]).includes(first)) throw usageError(`unknown command "${first}"`);
    command = first as CommandName;
  }

  const values: Partial<Record<OptionName, string | true>> = {};
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const name = token.name as OptionName;
    if (!(name in OPTIONS) || !ALLOWED[command].includes(name)) {
      throw usageError(
        command === "none" || !(name in OPTIONS)
          ? `unknown option "${token.rawName}"`
          : `option "${token.rawName}" does not apply to "troupe ${command}"`,
      );
    }
    if (OPTIONS[name].type === "boolean") {
      if (token.value !== undefined) throw usageError(`option "${token.rawName}" takes no value`);
      values[name] = true;
    } else {
      // parseArgs takes the next argument as the value even when it is another option.
      if (token.value === undefined || (!token.inlineValue && token.value.startsWith("-")))
        throw usageError(`option "${token.rawName}" needs a value`);
      values[name] = token.value;
    }
  }

  if (command === "help") {
    const [topic, ...extra] = rest;
    if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
    if (topic === undefined) return { command: "help", topic: "main" };
    if (topic !== "start" && topic !== "help") throw usageError(`no help for unknown command "${topic}"`);
    return { command: "help", topic: topic === "start" ? "start" : "main" };
  }
  if (rest.length > 0) throw usageError(`unexpected argument "${rest[0]}"`);
  if (values.help) return { command: "help", topic: command === "start" ? "start" : "main" };
  if (values.version) return { command: "version" };
  const text = (name: OptionName) => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  return {
    command: "start",
    options: {
      host: text("host"),
      port: text("port"),
      logLevel: text("log-level"),
      drainTimeout: text("drain-timeout"),
      redisUrl: text("redis-url"),
      dataDir: text("data-dir"),
      namespace: text("namespace"),
      consumer: text("consumer"),
      lease: text("lease"),
    },
  };
};
