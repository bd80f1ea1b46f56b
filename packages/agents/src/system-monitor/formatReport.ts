// A system report as text a person reads in a console or a chat message: one line per part, then the
// warnings. Kept apart from the agent so surfaces can format the structured result their own way.
import { defineFormatters, shorten } from "../format/Formatters.ts";
import type { SystemReport } from "./SystemReport.ts";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** "1.5 GiB"-style size. */
export const formatBytes = (bytes: number): string => {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
};

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;

export const formatReport = (report: SystemReport): string => {
  const { load, memory, disk, runtime, warnings } = report;
  const lines = [
    `load      ${load.one.toFixed(2)} ${load.five.toFixed(2)} ${load.fifteen.toFixed(2)} (1/5/15 min) on ${load.cpus} CPU${load.cpus === 1 ? "" : "s"}`,
    `memory    ${formatBytes(memory.usedBytes)} used of ${formatBytes(memory.totalBytes)} (${percent(memory.usedRatio)})`,
    disk
      ? `disk      ${disk.path}: ${formatBytes(disk.usedBytes)} used of ${formatBytes(disk.totalBytes)} (${percent(disk.usedRatio)})`
      : "disk      unavailable",
  ];
  if (runtime) {
    const breakers =
      runtime.openBreakers.length === 0 && runtime.halfOpenBreakers.length === 0
        ? "breakers all closed"
        : [
            runtime.openBreakers.length > 0 ? `open: ${runtime.openBreakers.join(", ")}` : "",
            runtime.halfOpenBreakers.length > 0 ? `half-open: ${runtime.halfOpenBreakers.join(", ")}` : "",
          ]
            .filter(Boolean)
            .join("; ");
    const state = runtime.escalated ? "escalated" : runtime.accepting ? "accepting" : "draining";
    const extra = [
      runtime.missedHeartbeats === null ? "" : `; ${runtime.missedHeartbeats} missed heartbeats`,
      runtime.deadLetters === null ? "" : `; ${runtime.deadLetters} dead letters`,
    ].join("");
    lines.push(
      `runtime   ${runtime.agents} agent${runtime.agents === 1 ? "" : "s"}, ${state}, ${runtime.queued} queued, ${runtime.inFlight} in flight; ${breakers}${extra}`,
    );
  }
  if (warnings.length === 0) lines.push("warnings  none");
  else for (const warning of warnings) lines.push(`⚠ ${warning}`);
  return lines.join("\n");
};

/** Chat markdown, plain text and a one-line notification of a system report. */
export const systemReportFormatters = defineFormatters<SystemReport>({
  markdown: (report) => {
    const [first, ...rest] = formatReport(report)
      .split("\n")
      .filter((line) => !line.startsWith("⚠"));
    const head =
      report.alerts.length === 0
        ? "**System: all well**"
        : `**System: ${report.alerts.length} alert${report.alerts.length === 1 ? "" : "s"}**`;
    const alerts = report.warnings.map((warning) => `- ⚠ ${warning}`);
    return [
      head,
      "```",
      first,
      ...rest.filter((line) => !line.startsWith("warnings")),
      "```",
      ...alerts,
    ].join("\n");
  },
  text: formatReport,
  notification: (report) =>
    report.warnings.length === 0 ? "system: all well" : shorten(`system: ${report.warnings.join("; ")}`, 140),
});
