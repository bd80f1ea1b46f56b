// The name of a task's thread: the request's first non-empty line, mentions removed and whitespace
// folded, at most 100 characters (Discord's limit); the fallback when nothing is left.

export const MAX_THREAD_NAME = 100;

export const threadNameFor = (text: string, fallback: string): string => {
  const firstLine =
    text
      .replace(/<(?:@[!&]?|#)\d+>/g, "")
      .split("\n")
      .map((line) => line.replace(/\s+/g, " ").trim())
      .find((line) => line !== "") ?? "";
  const name = firstLine === "" ? fallback : firstLine;
  if (name.length <= MAX_THREAD_NAME) return name;
  let cut = MAX_THREAD_NAME - 1;
  const code = name.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // never split a surrogate pair
  return `${name.slice(0, cut).trimEnd()}…`;
};
