// Every kind of error the runtime raises, by subsystem, and whether trying the same thing again may
// succeed: "transient" (the model, a server, a store or the team is down or busy for now) or
// "permanent" (bad input, a refusal, a missing model: the same try fails the same way). The durable
// worker and the notifier decide retries from this alone, never from the wording of a reason.
// docs/failures.md lists the same table for people.

export type ErrorKind = "transient" | "permanent";

export const errorKinds = {
  // Bad input from a person, a caller or a configuration: a clear reason naming the field.
  InvalidTask: "permanent",
  InvalidCommand: "permanent",
  InvalidAgent: "permanent",
  InvalidAction: "permanent",
  InvalidPoll: "permanent",

  // The team (supervisor): routing, queues, breakers, deadlines, restarts.
  NoRoute: "permanent",
  MailboxFull: "transient",
  BreakerOpen: "transient",
  Hung: "transient",
  Timeout: "transient",
  Cancelled: "permanent",
  AgentCrashed: "transient",
  Deadlock: "permanent",
  FanOutFailed: "transient",
  Escalated: "transient",
  ShuttingDown: "transient",
  // Another live process holds this consumer name (a worker's name on the queue): it says which.
  ConsumerNameInUse: "permanent",

  // The model layer (Llm): each reason says what to do about it.
  ModelNotFound: "permanent",
  ModelBusy: "transient",
  ModelUnavailable: "transient",
  ModelTimeout: "transient",
  ModelBadResponse: "transient",
  ModelRejected: "permanent",
  ToolCallRefused: "permanent",
  StepLimit: "permanent",

  // Approvals: an answer for another action, an answer too late.
  ApprovalMismatch: "permanent",
  ApprovalExpired: "permanent",

  // Tools over MCP and memory stores: a server that cannot be reached now, or a bad configuration.
  McpUnavailable: "transient",
  InvalidMcpConfig: "permanent",
  MemoryUnavailable: "transient",

  // A chat surface: unreachable for now (network, 5xx, not even its file drop takes the call), or
  // refusing (a bad token, a channel that is gone or may not be posted in), or no longer this
  // process's to change (another host took the Discord gateway over: what this one would still send
  // is dropped, and the new holder takes its tasks over).
  SurfaceUnavailable: "transient",
  SurfaceRefused: "permanent",
  SurfaceLost: "permanent",

  // A local folder the runtime was given that cannot be used (missing rights, not a folder).
  FolderUnusable: "permanent",

  // An agent's upstream data service (the watchlist's quotes): not answering now, or answering
  // something that can never be used (4xx, not JSON, rows that do not fit the schema).
  UpstreamUnavailable: "transient",
  UpstreamRejected: "permanent",

  // The notifier: a refused alert, a bad sink setting, an unreadable Kakao token file.
  InvalidAlert: "permanent",
  InvalidNotifyConfig: "permanent",
  InvalidTokenFile: "permanent",
} as const satisfies Record<string, ErrorKind>;

export type TroupeErrorTag = keyof typeof errorKinds;
