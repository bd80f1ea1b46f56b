// Test support, never in the default team: a `stall` agent that blocks its host's event loop — as a
// long synchronous computation, a GC pause or a paused VM would — until the file named in its text
// exists, then answers "stalled". It writes `<file>.stalled` first, so a test knows the host is stuck.
// It blocks from a timer's callback: once it lets go, the host reads what its sockets received
// meanwhile (a gateway message) before its overdue timers (a lease's) run, as after such a pause.
import { existsSync, writeFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { defineAgent, TroupeError } from "@troupe/runtime";

const POLL_MS = 25;

/** Block the thread for `ms`: no timer or I/O callback of this process runs meanwhile. */
const block = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export const stallAgent = defineAgent({
  name: "stall",
  description: "Test support: blocks its host's event loop until the file named in its text exists.",
  capabilities: [],
  async handle(task) {
    const path = task.text.trim();
    if (!isAbsolute(path)) throw new TroupeError("InvalidTask", "stall needs an absolute file path");
    await sleep(1);
    writeFileSync(`${path}.stalled`, "");
    while (!existsSync(path)) block(POLL_MS);
    return { text: "stalled" };
  },
});
