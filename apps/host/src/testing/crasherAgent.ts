// Test support, never in the default team: a `crasher` agent with a bug. While the file named in its
// text exists it throws a plain Error (not a Troupe error, so the supervisor restarts it, which counts
// toward restart intensity); once the file is gone it answers. Its breaker never opens, so nothing but
// the restart intensity stops the loop. A test makes it crash until the team escalates, removes the
// file, and sees the team come back: no timing involved.
import { existsSync } from "node:fs";
import { defineAgent } from "@troupe/runtime";

export const crasherAgent = defineAgent({
  name: "crasher",
  description: "Test support: crashes (a bug) while the file named in its text exists.",
  capabilities: [],
  breaker: { maxFailures: 1_000 },
  async handle(task) {
    const path = task.text.trim();
    if (existsSync(path)) throw new TypeError(`cannot read properties of undefined (reading '${path}')`);
    return { text: `no crash: ${path} is gone` };
  },
});
