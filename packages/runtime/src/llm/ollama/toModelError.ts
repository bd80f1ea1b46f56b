// What went wrong talking to Ollama, as a TroupeError whose reason tells the person what to do:
// pull the missing model, start Ollama or fix OLLAMA_HOST, wait for a busy server, pick another
// model. The library's own errors (HTTP status, fetch failures, stream errors) are sorted here.
import { TroupeError, type TroupeErrorTag } from "../../errors/TroupeError.ts";
import type { LlmOutcome } from "../Llm.ts";
import { modelVariable } from "../modelRoles.ts";
import { MALFORMED_LINE } from "./ollamaClient.ts";

export interface ModelErrorContext {
  readonly host: string;
  readonly model: string;
  readonly role?: string | undefined;
  readonly operation: "chat" | "list" | "pull" | "embed";
  /** Busy retries already made, for the ModelBusy reason. */
  readonly retries?: number;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const codeOf = (error: unknown, depth = 0): string | undefined => {
  if (typeof error !== "object" || error === null || depth > 3) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = codeOf(inner, depth + 1);
      if (found) return found;
    }
  }
  return codeOf(cause, depth + 1);
};

/** The HTTP status of the library's ResponseError (not exported by `ollama`). */
export const statusOf = (error: unknown): number | undefined => {
  const status = (error as { name?: unknown; status_code?: unknown } | null)?.status_code;
  return (error as { name?: unknown }).name === "ResponseError" && typeof status === "number"
    ? status
    : undefined;
};

const CONNECTION_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "connection reset",
  UND_ERR_SOCKET: "connection closed",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
};

export const toModelError = (error: unknown, context: ModelErrorContext): TroupeError => {
  if (error instanceof TroupeError) return error;
  const { host, model, role, operation } = context;
  const data = { host, model, role, operation };
  const message = error instanceof Error ? error.message : String(error);
  const status = statusOf(error);
  const make = (tag: TroupeErrorTag, reason: string) =>
    new TroupeError(tag, reason, { cause: error, data: { ...data, ...(status ? { status } : {}) } });
  const chooseAnother = role ? `, or set ${modelVariable(role)} to a model you have` : "";

  if (status === 404) {
    return operation === "pull"
      ? make("ModelNotFound", `model "${model}" is not in the Ollama library (${message}): check its name`)
      : make(
          "ModelNotFound",
          `model "${model}" is not in Ollama at ${host}: pull it with \`ollama pull ${model}\` (or \`troupe models --pull\`)${chooseAnother}`,
        );
  }
  if (status === 503) {
    const retried = context.retries ? ` after ${context.retries} retries` : "";
    return make(
      "ModelBusy",
      `Ollama at ${host} is busy (${message})${retried}: try again later, or let it queue more (OLLAMA_MAX_QUEUE, OLLAMA_NUM_PARALLEL on the server)`,
    );
  }
  if (status !== undefined && status >= 400 && status < 500) {
    const advice = /does not support tools/i.test(message)
      ? `: pick a model with tool support for this role${role ? ` (${modelVariable(role)})` : ""}`
      : "";
    return make(
      "ModelRejected",
      `Ollama at ${host} refused the ${operation} request for model "${model}": ${message}${advice}`,
    );
  }
  if (status !== undefined) {
    return make(
      "ModelUnavailable",
      `Ollama at ${host} failed to run model "${model}" (HTTP ${status}: ${message}): see the Ollama server's log; a smaller model may fit${chooseAnother}`,
    );
  }
  const code = codeOf(error);
  if (code) {
    return make(
      "ModelUnavailable",
      `cannot reach Ollama at ${host} (${CONNECTION_WORDS[code] ?? code}): start it with \`ollama serve\`, or set OLLAMA_HOST to where it listens`,
    );
  }
  if (error instanceof TypeError && /terminated|fetch failed/i.test(message)) {
    return make(
      "ModelUnavailable",
      `the connection to Ollama at ${host} broke (${message}): check that Ollama is running (OLLAMA_HOST)`,
    );
  }
  if (
    error instanceof SyntaxError ||
    message.startsWith(MALFORMED_LINE) ||
    /did not receive done or success/i.test(message)
  ) {
    const detail = message.startsWith(MALFORMED_LINE) ? message.slice("troupe: ".length) : message;
    return make(
      "ModelBadResponse",
      `Ollama at ${host} sent a malformed answer for model "${model}" (${detail}): check that OLLAMA_HOST points at an Ollama server, and try again`,
    );
  }
  // An error Ollama reported inside its stream (the model runner crashed, out of memory…).
  return make("ModelUnavailable", `Ollama at ${host} reported an error for model "${model}": ${message}`);
};

/** The metrics `outcome` of an error. */
export const outcomeOf = (error: unknown): LlmOutcome => {
  if (!(error instanceof TroupeError)) return "unavailable";
  switch (error._tag) {
    case "ModelNotFound":
      return "not_found";
    case "ModelBusy":
      return "busy";
    case "ModelTimeout":
      return "timeout";
    case "ModelBadResponse":
      return "bad_response";
    case "ModelRejected":
      return "rejected";
    case "ModelUnavailable":
      return "unavailable";
    default:
      return "cancelled";
  }
};
