// ioredis, the optional peer dependency of @troupe/runtime/redis: loaded once here, so without it
// the entry fails with one line naming the package (importPeer). Types come from ioredis directly.
import type * as IORedis from "ioredis";
import { importPeer } from "../internal/importPeer.ts";

const ioredis = await importPeer("@troupe/runtime/redis", "ioredis", () => import("ioredis"));

export const Redis = ioredis.Redis;
export type Redis = IORedis.Redis;
