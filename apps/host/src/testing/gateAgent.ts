// Test support, never in the default team: a `gate` agent that works until the file named in its text
// exists, then answers with the file's content. A test holds a task in ⚙️ working for as long as it
// needs (to see the reaction) and lets it finish by writing the file: no sleeping, no timing.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { defineAgent, TroupeError } from "@troupe/runtime";

const POLL_MS = 25;

export const gateAgent = defineAgent({
  name: "gate",
  description: "Test support: waits until the file named in its text exists, then answers with its content.",
  capabilities: [],
  async handle(task, ctx) {
    const path = task.text.trim();
    if (!isAbsolute(path)) throw new TroupeError("InvalidTask", "gate needs an absolute file path");
    while (!existsSync(path)) {
      ctx.heartbeat();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, POLL_MS);
        function done() {
          clearTimeout(timer);
          ctx.signal.removeEventListener("abort", done);
          resolve();
        }
        ctx.signal.addEventListener("abort", done, { once: true });
      });
      ctx.signal.throwIfAborted();
    }
    return { text: readFileSync(path, "utf8") };
  },
});
