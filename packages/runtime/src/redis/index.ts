// @troupe/runtime/redis: the Redis backbone (ioredis). A separate entry so code that runs on one box
// without Redis never loads ioredis.

export { deleteNamespace } from "./deleteNamespace.ts";
export {
  claimRedisConsumerName,
  DEFAULT_CONSUMER_NAME_TTL_MS,
  type RedisConsumerNameOptions,
} from "./RedisConsumerName.ts";
export {
  type EventMirrorOptions,
  type EventMirrorStats,
  eventChannel,
  eventChannelPattern,
  type MirrorDirection,
  mirrorEvents,
  RedisEventMirror,
} from "./RedisEventMirror.ts";
export { type HumanRelayOptions, type HumanRelayServing, RedisHumanRelay } from "./RedisHumanRelay.ts";
export { type LeaseLostReason, RedisLease, type RedisLeaseOptions } from "./RedisLease.ts";
export { RedisOutboxStore, type RedisOutboxStoreOptions } from "./RedisOutboxStore.ts";
export { RedisSnapshotStore } from "./RedisSnapshotStore.ts";
export {
  createRedisWorkQueue,
  maxmemoryPolicyWarning,
  type RedisQueueKeys,
  type RedisQueueStats,
  RedisWorkQueue,
  type RedisWorkQueueOptions,
  refuseRedisCluster,
} from "./RedisWorkQueue.ts";
