// The one error type of the runtime: a tagged error that carries what a caller needs to act on it.
// `_tag` names the kind (NoRoute, MailboxFull, …, listed by subsystem in errorKinds); `reason` is a
// sentence meant for a person; `data` holds the structured facts (the agent, the rules tried, the
// cycle…); `transient` says, from the tag alone, whether trying again may succeed. The reason is
// redacted as the error is made (a URL's password, a token), so no record made from it — a task's
// error, a dead letter, an event, a trace — can hold a secret.
import { redactText } from "../log/redactSecrets.ts";
import { errorKinds, type TroupeErrorTag } from "./errorKinds.ts";

export type { ErrorKind, TroupeErrorTag } from "./errorKinds.ts";

export class TroupeError extends Error {
  readonly _tag: TroupeErrorTag;
  readonly reason: string;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(
    tag: TroupeErrorTag,
    reason: string,
    options: { cause?: unknown; data?: Record<string, unknown> } = {},
  ) {
    const redacted = redactText(reason);
    super(redacted, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `TroupeError(${tag})`;
    this._tag = tag;
    this.reason = redacted;
    this.data = options.data ?? {};
  }

  /** Whether trying the same thing again may succeed: the tag's kind in errorKinds. */
  get transient(): boolean {
    return errorKinds[this._tag] === "transient";
  }

  /** A plain, JSON-safe view for events, logs and traces. */
  toJSON(): { tag: TroupeErrorTag; reason: string; data: Record<string, unknown> } {
    return { tag: this._tag, reason: this.reason, data: { ...this.data } };
  }
}

export const isTroupeError = (value: unknown, tag?: TroupeErrorTag): value is TroupeError =>
  value instanceof TroupeError && (tag === undefined || value._tag === tag);

/** Turn anything thrown into a TroupeError, keeping the original as `cause`. */
export const toTroupeError = (value: unknown, tag: TroupeErrorTag, prefix: string): TroupeError => {
  if (value instanceof TroupeError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new TroupeError(tag, `${prefix}: ${message}`, { cause: value });
};
