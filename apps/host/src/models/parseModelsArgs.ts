// The arguments of `troupe models` (after the command name): --pull and --help, nothing else.
// Anything unknown is an InvalidCommand error, which `troupe` turns into one line and exit code 2.
import { parseArgs } from "node:util";
import { TroupeError } from "@troupe/runtime";

export interface ModelsArgs {
  readonly help: boolean;
  readonly pull: boolean;
}

export const parseModelsArgs = (args: readonly string[]): ModelsArgs => {
  const { tokens } = parseArgs({
    args: [...args],
    options: { help: { type: "boolean", short: "h" }, pull: { type: "boolean" } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  let help = false;
  let pull = false;
  for (const token of tokens) {
    if (token.kind === "positional") {
      throw new TroupeError("InvalidCommand", `unexpected argument "${token.value}" for "troupe models"`);
    }
    if (token.kind !== "option") continue;
    if (token.name !== "help" && token.name !== "pull") {
      throw new TroupeError("InvalidCommand", `option "${token.rawName}" does not apply to "troupe models"`);
    }
    if (token.value !== undefined)
      throw new TroupeError("InvalidCommand", `option "${token.rawName}" takes no value`);
    if (token.name === "help") help = true;
    else pull = true;
  }
  return { help, pull };
};
