// A task's output as chat text when its agent gives no formatter: a string as is, `{ text }` as the
// text, anything else as a JSON code block. The bridge's replies and the slash commands' answers
// both use it, so a result reads the same wherever it is posted.
export const formatOutput = (_agent: string, output: unknown): string => {
  if (typeof output === "string") return output;
  if (output === undefined || output === null) return "";
  if (typeof output === "object" && typeof (output as { text?: unknown }).text === "string")
    return (output as { text: string }).text;
  return `\`\`\`json\n${JSON.stringify(output, null, 2) ?? String(output)}\n\`\`\``;
};
