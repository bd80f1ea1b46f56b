// @troupe/agents: ready-made agents for a Troupe team. For now the LLM-free ones the host runs in
// local mode: echo, and the system monitor.
export { type EchoOutput, echo, echoText } from "./echo/echo.ts";
export { formatBytes, formatReport } from "./system-monitor/formatReport.ts";
export { type DiskStats, type HostProbe, nodeHostProbe } from "./system-monitor/hostProbe.ts";
export {
  createSystemMonitor,
  type DiskReport,
  defaultThresholds,
  type LoadReport,
  type MemoryReport,
  type RuntimeHealth,
  readSystemReport,
  type SystemMonitorOptions,
  type SystemReport,
  type SystemThresholds,
  systemMonitor,
} from "./system-monitor/systemMonitor.ts";
