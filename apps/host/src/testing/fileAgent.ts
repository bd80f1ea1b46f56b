// Test support, never in the default team: a `file` agent that answers with the content of the file
// named in its text, and fails for good (InvalidTask: dead-lettered at once) while that file does not
// exist. A test dead-letters a task, writes the file, and retries it: no timing involved.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { defineAgent, TroupeError } from "@troupe/runtime";

export const fileAgent = defineAgent({
  name: "file",
  description:
    "Test support: answers with the content of the file named in its text; fails while it is missing.",
  capabilities: [],
  async handle(task) {
    const path = task.text.trim();
    if (!isAbsolute(path) || !existsSync(path))
      throw new TroupeError("InvalidTask", `file: there is no file ${path} (yet)`);
    return { text: readFileSync(path, "utf8") };
  },
});
