// @troupe/host: the pieces of the `troupe` command, for tests and for embedding a host in another
// program: runAsProcess({ agents }) is `troupe` with agents of your own added to its team (what
// `troupe init` sets up). The executable itself is src/bin/troupe.ts.

export { type StatusSymbol, statusSymbols, statusText } from "@troupe/runtime";
export { type HostAgents, type MainIo, main } from "./cli/main.ts";
export { type CommandLine, parseCommandLine, type StartOptions } from "./cli/parseCommandLine.ts";
export { runAsProcess } from "./cli/runAsProcess.ts";
export { type HostConfig, resolveHostConfig } from "./config/hostConfig.ts";
export { type LocalConsole, type LocalConsoleOptions, startLocalConsole } from "./console/LocalConsole.ts";
export {
  type ComponentHealth,
  type ComponentStatus,
  type HealthCheck,
  HealthChecks,
  type HealthReport,
  teamHealth,
} from "./health/HealthChecks.ts";
export {
  HttpListenError,
  type HttpServerOptions,
  healthAnswer,
  type RunningHttpServer,
  startHttpServer,
} from "./http/startHttpServer.ts";
export { HostHttp, HostMetrics, HostTeam, hostLayer } from "./start/hostLayers.ts";
export { runStart, type StartIo } from "./start/runStart.ts";
export { createHostTeam } from "./team/createHostTeam.ts";
