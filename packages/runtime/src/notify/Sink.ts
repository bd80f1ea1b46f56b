// The port every delivery channel implements (Discord webhook, KakaoTalk memo, KakaoWork, a generic
// webhook, a file drop): one message in, one of five answers out. The notifier decides what each
// answer means for the message (retry, fall back, hold the sink's queue), so a sink only says what
// happened, and never throws for a delivery problem.
import type { Severity } from "../events/catalogue.ts";

/** What a sink answered for one send. */
export type SendResult =
  | { readonly kind: "ok" }
  /** Try again later (5xx, 429, network): after `afterMs` when the service said so (Retry-After). */
  | { readonly kind: "retry"; readonly reason: string; readonly afterMs?: number }
  /** This message can never be delivered here (bad request, webhook deleted): dead letter, fall back. */
  | { readonly kind: "permanent"; readonly reason: string }
  /** The credentials are no longer valid and a person must act (re-authorise): hold the queue. */
  | { readonly kind: "auth_expired"; readonly reason: string }
  /** The service's quota is used up: park the queue until `resetAt` (epoch ms); not a failure. */
  | { readonly kind: "quota"; readonly reason: string; readonly resetAt: number };

/** How a sink's messages are rendered and cut. */
export interface SinkFormat {
  /** Longest message, counted in UTF-16 code units (never more than the service's own count). */
  readonly maxLength: number;
  /** "markdown" gets a bold title line; "plain" a bracketed severity. */
  readonly style: "markdown" | "plain";
  /**
   * More chunks than this and the alert goes as one short digest with a link instead (Kakao's
   * 200-character templates); unset: any number of chunks.
   */
  readonly digestAbove?: number;
}

/** One message as a sink sends it. */
export interface OutboundMessage {
  /** Deterministic (alert, sink, chunk) id: an idempotency key where the service takes one. */
  readonly id: string;
  readonly alertId: string;
  readonly severity: Severity;
  readonly title: string;
  /** The rendered text, within the sink's maxLength. */
  readonly text: string;
  /** 1-based chunk number and chunk count. */
  readonly chunk: number;
  readonly chunks: number;
  readonly link?: string;
}

export interface Sink {
  /** The configured name (`discord`, `kakao`, …): metrics label, routing order, outbox key. */
  readonly name: string;
  readonly format: SinkFormat;
  /** Deliver one message; resolves with what happened, rejects only on a programming error. */
  send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult>;
  /** Whether a sink held for re-authorisation can be tried again (e.g. new tokens were stored). */
  reauthorised?(): Promise<boolean>;
  close?(): Promise<void>;
}
