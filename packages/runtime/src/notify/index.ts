// @troupe/runtime/notify: alerts that are never silently dropped. The Sink port and its adapters
// (Discord webhook, KakaoTalk memo, KakaoWork, generic webhook, file drop), the durable Outbox
// port (adapters in ./sqlite and ./redis, memory here for tests) and the Notifier that routes,
// retries, falls back and dead-letters. A separate entry so a team that sends no alerts never loads it.

export { chunkText, type TextChunk } from "../text/chunkText.ts";
export {
  ALERT_ID_MAX_LENGTH,
  type Alert,
  alertIdProblem,
  checkAlert,
  deriveAlertId,
  SEVERITIES,
  type Severity,
} from "./Alert.ts";
export { fileNameOf, headerValueOf } from "./escapeId.ts";
export { MemoryOutboxStore } from "./MemoryOutboxStore.ts";
export {
  type FailureReason,
  Notifier,
  type NotifierEvent,
  type NotifierOptions,
  type NotifierStatus,
  type NotifyReceipt,
  type SinkStatus,
} from "./Notifier.ts";
export {
  type ClaimOptions,
  type DeadDelivery,
  type Delivery,
  type DeliveryOutcome,
  deliveryId,
  type KakaoTokenStore,
  type KakaoTokens,
  type NewDelivery,
  type OutboxStats,
  type OutboxStore,
  type Settle,
  type SinkBacklog,
  type SinkHold,
} from "./OutboxStore.ts";
export { parseQuietHours, type QuietHours, quietUntil } from "./quietHours.ts";
export { alertText, renderAlert, renderDigest, truncate } from "./renderAlert.ts";
export type { OutboundMessage, SendResult, Sink, SinkFormat } from "./Sink.ts";
export {
  createDiscordWebhookSink,
  DISCORD_MESSAGE_LIMIT,
  type DiscordWebhookSinkOptions,
} from "./sinks/discordWebhookSink.ts";
export { createFileDropSink, type FileDropSinkOptions } from "./sinks/fileDropSink.ts";
export { retryAfterMs } from "./sinks/httpResult.ts";
export {
  exchangeKakaoCode,
  KAKAO_API_URL,
  KAKAO_AUTH_URL,
  type KakaoAppOptions,
  KakaoAuth,
  type KakaoAuthOptions,
  kakaoAuthorizeUrl,
  type RefreshOutcome,
} from "./sinks/KakaoAuth.ts";
export {
  createKakaoMemoSink,
  KAKAO_TEXT_LIMIT,
  type KakaoMemoSink,
  type KakaoMemoSinkOptions,
  nextKstMidnight,
} from "./sinks/kakaoMemoSink.ts";
export { readKakaoTokenFile } from "./sinks/kakaoTokenFile.ts";
export {
  createKakaoWorkSink,
  KAKAOWORK_TEXT_LIMIT,
  type KakaoWorkSinkOptions,
} from "./sinks/kakaoWorkSink.ts";
export { createSurfaceSink, type SurfaceSinkOptions } from "./sinks/surfaceSink.ts";
export { createWebhookSink, type WebhookSinkOptions } from "./sinks/webhookSink.ts";
export {
  isTaskNotify,
  notifiesOf,
  TASK_NOTIFY_LEVELS,
  type TaskNotify,
  type TaskOutcome,
  taskAlertId,
  taskOutcomeAlert,
} from "./taskOutcomeAlert.ts";
