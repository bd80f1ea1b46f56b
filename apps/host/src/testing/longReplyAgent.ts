// Test support, never in the default team: a `long` agent that answers with exactly the number of
// characters given in its text — prose and a code block — so a test can check how long replies are
// split (fences balanced) or attached as a file; its notification is one line saying how long it was.
import { defineAgent, TroupeError } from "@troupe/runtime";

const MAX = 200_000;

/** A reply of exactly `length` characters: paragraphs with a fenced TypeScript block in the middle. */
export const longReply = (length: number): string => {
  const lines: string[] = [];
  let size = 0;
  let index = 0;
  const push = (line: string) => {
    lines.push(line);
    size += line.length + 1;
  };
  while (size < length) {
    if (index % 40 === 10) push("```ts");
    else if (index % 40 === 30) push("```");
    else if (index % 40 > 10 && index % 40 < 30) push(`const line${index} = "${"x".repeat(index % 50)}";`);
    else push(`Line ${index} of the answer, with some words to make it look like prose.`);
    index += 1;
  }
  return lines.join("\n").slice(0, length);
};

export const longReplyAgent = defineAgent({
  name: "long",
  description: "Test support: answers with as many characters as its text says.",
  capabilities: [],
  // Its own notification form (chat and console read the text itself): proves which form a sink gets.
  format: { notification: (value: { text: string }) => `long: ${value.text.length} characters` },
  handle(task) {
    const length = Number(task.text.trim());
    if (!Number.isInteger(length) || length < 1 || length > MAX)
      throw new TroupeError("InvalidTask", `long needs a whole number of characters from 1 to ${MAX}`);
    return { text: longReply(length) };
  },
});
