// Which model serves which role: `MODEL_<ROLE>` environment variables over `MODEL_DEFAULT` over a
// default per role, and where Ollama listens (`OLLAMA_HOST`). Heavier roles default to a bigger
// model, light ones to a small fast one; all of them are small enough for one local machine.
import { TroupeError } from "../errors/TroupeError.ts";
import { isModelTimeoutVariable } from "./modelTimeouts.ts";

/** The default model of each built-in role (see docs/models.md). */
export const ROLE_MODELS = {
  orchestrator: "qwen3:8b",
  research: "qwen3:8b",
  code: "qwen2.5-coder:7b",
  consensus: "qwen3:8b",
  scheduler: "llama3.2:3b",
  watchlist: "llama3.2:3b",
} as const satisfies Readonly<Record<string, string>>;

export type BuiltInRole = keyof typeof ROLE_MODELS;

/** The model of a role that is not built in and has no variable of its own, nor MODEL_DEFAULT. */
export const FALLBACK_MODEL = "qwen3:8b";

export const DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434";

export interface ResolvedModel {
  readonly role: string;
  readonly model: string;
  /** The role's own variable (MODEL_RESEARCH). */
  readonly variable: string;
  /** Where the model came from: the role's variable, MODEL_DEFAULT, or the built-in default. */
  readonly source: string;
}

export interface OllamaHost {
  /** Normalised: scheme, host and port, no trailing slash. */
  readonly url: string;
  readonly source: "OLLAMA_HOST" | "default";
}

type Env = Readonly<Record<string, string | undefined>>;

const ROLE = /^[a-z][a-z0-9_-]{0,31}$/;
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;

const invalid = (reason: string) => new TroupeError("InvalidCommand", reason);

/** The variable naming a role's model: "system-monitor" → MODEL_SYSTEM_MONITOR. */
export const modelVariable = (role: string): string => `MODEL_${role.toUpperCase().replace(/-/g, "_")}`;

const fromEnv = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  if (value === undefined || value === "") return undefined;
  if (!MODEL.test(value)) {
    throw invalid(`${name} must be an Ollama model name such as "qwen3:8b", got ${JSON.stringify(value)}`);
  }
  return value;
};

/** The model a role resolves to, and from where. Throws InvalidCommand naming a malformed variable. */
export const resolveModel = (role: string, env: Env = process.env): ResolvedModel => {
  if (!ROLE.test(role)) {
    throw invalid(`a model role is lower-case letters, digits, "-" or "_", got ${JSON.stringify(role)}`);
  }
  const variable = modelVariable(role);
  const own = fromEnv(env, variable);
  if (own) return { role, model: own, variable, source: variable };
  const shared = fromEnv(env, "MODEL_DEFAULT");
  if (shared) return { role, model: shared, variable, source: "MODEL_DEFAULT" };
  const builtIn = (ROLE_MODELS as Readonly<Record<string, string>>)[role];
  return { role, model: builtIn ?? FALLBACK_MODEL, variable, source: "default" };
};

/**
 * Every role's model: the built-in roles, then any other role given a `MODEL_<ROLE>` variable
 * (MODEL_SUMMARIZER → "summarizer"; MODEL_TIMEOUT* are deadlines, not roles), in that order.
 */
export const resolveModels = (env: Env = process.env): readonly ResolvedModel[] => {
  const roles: string[] = Object.keys(ROLE_MODELS);
  const extra = Object.keys(env)
    .filter((name) => /^MODEL_[A-Z][A-Z0-9_]*$/.test(name) && name !== "MODEL_DEFAULT")
    .filter((name) => !isModelTimeoutVariable(name))
    .map((name) => name.slice("MODEL_".length).toLowerCase())
    .filter((role) => !roles.includes(role) && env[modelVariable(role)]?.trim())
    .sort();
  return [...roles, ...extra].map((role) => resolveModel(role, env));
};

/** Where Ollama listens: OLLAMA_HOST as the ollama CLI reads it ("host", "host:port", a URL), or the default. */
export const resolveOllamaHost = (env: Env = process.env): OllamaHost => {
  const raw = env.OLLAMA_HOST?.trim();
  if (raw === undefined || raw === "") return { url: DEFAULT_OLLAMA_HOST, source: "default" };
  return { url: normalizeOllamaHost(raw, "OLLAMA_HOST"), source: "OLLAMA_HOST" };
};

/** "127.0.0.1" → "http://127.0.0.1:11434"; "https://x" keeps its scheme's port. */
export const normalizeOllamaHost = (raw: string, name = "the Ollama host"): string => {
  const explicit = raw.includes("://");
  let url: URL;
  try {
    url = new URL(explicit ? raw : `http://${raw.startsWith(":") ? `127.0.0.1${raw}` : raw}`);
  } catch {
    throw invalid(
      `${name} must be an address such as 127.0.0.1:11434 or http://host:11434, got ${JSON.stringify(raw)}`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid(`${name} must use http or https, got ${JSON.stringify(raw)}`);
  }
  const port = url.port || (explicit ? (url.protocol === "https:" ? "443" : "80") : "11434");
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.hostname}:${port}${path}`;
};
