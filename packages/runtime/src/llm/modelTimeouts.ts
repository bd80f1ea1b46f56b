// How long a role's model call may take: `MODEL_TIMEOUT_<ROLE>` over `MODEL_TIMEOUT` over the
// built-in 5 minutes, written as durations ("90s", "2m"). A hung model then fails its task after that
// time, with a message naming the setting to change; a bad value is refused naming its variable.
import { TroupeError } from "../errors/TroupeError.ts";
import { type Duration, toMillis } from "../time/duration.ts";
import { DEFAULT_MODEL_DEADLINE } from "./Llm.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The variable shared by every role. */
export const MODEL_TIMEOUT = "MODEL_TIMEOUT";

/** A role's own variable: "system-monitor" → MODEL_TIMEOUT_SYSTEM_MONITOR. */
export const modelTimeoutVariable = (role: string): string =>
  `${MODEL_TIMEOUT}_${role.toUpperCase().replace(/-/g, "_")}`;

/** MODEL_TIMEOUT and every MODEL_TIMEOUT_<ROLE>. */
export const isModelTimeoutVariable = (name: string): boolean => /^MODEL_TIMEOUT(?:_[A-Z0-9_]+)?$/.test(name);

export interface ResolvedModelTimeout {
  readonly ms: number;
  /** Where it came from: the role's variable, MODEL_TIMEOUT, or "default". */
  readonly source: string;
}

const parse = (variable: string, raw: string): number => {
  let ms: number;
  try {
    ms = toMillis(raw as Duration, variable);
  } catch {
    ms = Number.NaN;
  }
  if (!(ms > 0))
    throw new TroupeError(
      "InvalidCommand",
      `${variable} must be a time such as 30s, 2m or 1h, got ${JSON.stringify(raw)}`,
    );
  return ms;
};

/**
 * The deadline of a role's model calls, and where it came from ("default" for `fallback`, the
 * built-in 5 minutes unless given). Throws InvalidCommand naming a bad variable.
 */
export const resolveModelTimeout = (
  role: string | undefined,
  env: Env = process.env,
  fallback: Duration = DEFAULT_MODEL_DEADLINE,
): ResolvedModelTimeout => {
  for (const variable of [...(role === undefined ? [] : [modelTimeoutVariable(role)]), MODEL_TIMEOUT]) {
    const raw = env[variable]?.trim();
    if (raw) return { ms: parse(variable, raw), source: variable };
  }
  return { ms: toMillis(fallback), source: "default" };
};

/** Check every MODEL_TIMEOUT* variable set (at start, before any call): throws InvalidCommand naming a bad one. */
export const checkModelTimeouts = (env: Env = process.env): void => {
  for (const [name, value] of Object.entries(env)) {
    const raw = value?.trim();
    if (raw && isModelTimeoutVariable(name)) parse(name, raw);
  }
};

/** What to change when a call ran out of time, for the timeout's message. */
export const modelTimeoutAdvice = (role: string | undefined, source: string): string => {
  const own = role === undefined ? undefined : modelTimeoutVariable(role);
  if (source === own) return `raise ${own}`;
  if (source === MODEL_TIMEOUT)
    return own ? `raise ${MODEL_TIMEOUT} (or set ${own} for this role alone)` : `raise ${MODEL_TIMEOUT}`;
  if (source === "default") return `set ${own ? `${own} or ` : ""}${MODEL_TIMEOUT} to wait longer`;
  return "give the call a longer deadline";
};
