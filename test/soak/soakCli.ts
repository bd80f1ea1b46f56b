// `npm run soak -- --minutes N [--seed S] [--keep]`: one soak run of the real host (soakRun.ts),
// its progress and report on stdout, the summary as the last line; exit code 1 when an invariant
// failed, 2 for a bad command line. Not part of `npm test` (test/soak/soak.test.ts runs a short one).
import { randomInt } from "node:crypto";
import { parseArgs } from "node:util";
import { runSoak } from "./soakRun.ts";

const usage = "usage: npm run soak -- --minutes <N> [--seed <integer>] [--keep]";
const help = `${usage}

Runs the real host for N minutes (default 30, from 2 to 1440): two hosts on a private Redis and one
on the embedded store, behind Discord and Ollama stand-ins, with console and Discord traffic and
scripted faults (Redis restarted, a host SIGKILLed or SIGSTOPped, the model down or hung, bad input
and agent bugs, Discord's gateway dropped and its REST API down). Prints the plan, progress every
10 s, the invariants' report and the summary as the last line.

  --minutes <N>   how long to run (default 30)
  --seed <int>    replay the same faults at the same moments (printed at start when not given)
  --keep          keep the run's data folders and logs (their path is printed)

Exit code 0 when every invariant held, 1 when one failed, 2 for a bad command line.`;

const main = async (): Promise<number> => {
  let values: { minutes?: string; seed?: string; keep?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        minutes: { type: "string" },
        seed: { type: "string" },
        keep: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(help);
    return 0;
  }
  const minutes = Number(values.minutes ?? "30");
  if (!Number.isFinite(minutes) || minutes < 2 || minutes > 24 * 60) {
    console.error(
      `--minutes must be a number from 2 to 1440, got ${JSON.stringify(values.minutes)}\n${usage}`,
    );
    return 2;
  }
  const seed = values.seed === undefined ? randomInt(2 ** 31) : Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    console.error(`--seed must be a whole number, got ${JSON.stringify(values.seed)}\n${usage}`);
    return 2;
  }
  const { exitCode } = await runSoak({
    minutes,
    seed,
    keep: values.keep ?? false,
    out: (line) => console.log(line),
  });
  return exitCode;
};

process.exitCode = await main();
