// TROUPE_GATEWAY_LEASE: how long the Discord gateway lease lasts in Redis without renewal (the holder
// renews it every third of that). It is how long the other hosts wait before one of them takes the
// gateway over from a host that died; checked at start like every other setting.
import { TroupeError, toMillis } from "@troupe/runtime";

export const DEFAULT_GATEWAY_LEASE = "15s";
const MIN_GATEWAY_LEASE_MS = 1_000;

export const resolveGatewayLeaseMs = (env: NodeJS.ProcessEnv): number => {
  const raw = env.TROUPE_GATEWAY_LEASE || DEFAULT_GATEWAY_LEASE;
  let ms: number;
  try {
    ms = toMillis(raw as `${number}s`, "TROUPE_GATEWAY_LEASE");
  } catch {
    ms = Number.NaN;
  }
  if (!(ms >= MIN_GATEWAY_LEASE_MS))
    throw new TroupeError(
      "InvalidCommand",
      `TROUPE_GATEWAY_LEASE must be a time of at least 1s such as 5s, 15s or 1m, got "${raw}"`,
    );
  return ms;
};
