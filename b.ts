import { routedThroughput } from "./bench/routed-throughput.ts";

console.log((await routedThroughput()).ratio);
