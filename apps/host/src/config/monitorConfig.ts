// TROUPE_MONITOR_THRESHOLDS: the host's system monitor's lines, over its defaults, as
// `<name>=<high>[:<low>]` pairs separated by commas (e.g. `diskUsed=0.95:0.9,loadPerCpu=2`). Checked
// at start by the monitor's own rules, so a bad one stops troupe with a line naming the variable.
import { resolveThresholds, type ThresholdsInput } from "@troupe/agents";
import { TroupeError } from "@troupe/runtime";

const VARIABLE = "TROUPE_MONITOR_THRESHOLDS";

const invalid = (reason: string) => new TroupeError("InvalidCommand", `${VARIABLE}: ${reason}`);

export const resolveMonitorThresholds = (env: NodeJS.ProcessEnv): ThresholdsInput => {
  const raw = env[VARIABLE]?.trim() ?? "";
  const thresholds: Record<string, number | { high: number; low: number }> = {};
  for (const part of raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z]+)=([^:]+)(?::(.+))?$/.exec(part);
    if (!match) throw invalid(`"${part}" must look like <name>=<high>[:<low>], e.g. diskUsed=0.95:0.9`);
    const [, name, high, low] = match as unknown as [string, string, string, string | undefined];
    thresholds[name] = low === undefined ? Number(high) : { high: Number(high), low: Number(low) };
  }
  try {
    resolveThresholds(thresholds as ThresholdsInput);
  } catch (error) {
    throw invalid(`${(error as TroupeError).reason.replace(/^system-monitor /, "")}`);
  }
  return thresholds as ThresholdsInput;
};
