// prom-client, the optional peer dependency of @troupe/runtime/metrics: loaded once here, so without
// it the entry fails with one line naming the package (importPeer). Types come from prom-client.
import type * as PromClient from "prom-client";
import { importPeer } from "../internal/importPeer.ts";

const promClient = await importPeer("@troupe/runtime/metrics", "prom-client", () => import("prom-client"));

export const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = promClient;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;
export type Registry = PromClient.Registry;
