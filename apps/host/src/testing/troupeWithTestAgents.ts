// The tests' `troupe`: the real executable's main(), with the test agents TROUPE_TEST_AGENTS names
// added to the team, and V8's pretenuring set as the real one sets it. spawnTroupe runs it when a
// test names any; otherwise it runs src/bin/troupe.ts.
import { configureProcessPretenuring } from "../cli/v8Pretenuring.ts";

configureProcessPretenuring();
const { runAsProcess } = await import("../cli/runAsProcess.ts");
const { testAgentsNamed } = await import("./testAgents.ts");

let agents: ReturnType<typeof testAgentsNamed>;
try {
  agents = testAgentsNamed(process.env.TROUPE_TEST_AGENTS);
} catch (error) {
  process.stderr.write(`troupe: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
await runAsProcess({ agents });
