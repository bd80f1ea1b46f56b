// Text from tasks, agents and other programs, made safe to print on the console and in its log lines:
// it cannot move the cursor, clear a line or start a line of its own. Control characters (escape
// sequences, carriage returns, Unicode line separators) are shown escaped, as `\u001b` or `\r`; a
// status line also shows its newlines escaped, so a task id or a reason can never forge a line
// such as `[t-x] ✅ done`. A result keeps its own newlines.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
const escaped = (char: string): string =>
  NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** One line whatever it holds: every control character, newlines included, escaped. */
export const printableLine = (text: string): string => text.replace(CONTROL, escaped);

/** Lines of text as they are, with every other control character escaped. */
export const printableText = (text: string): string => text.replace(CONTROL_BUT_LINES, escaped);
