// Orchestra's metrics, all in one place: names, types, labels and buckets. docs/METRICS.md lists the same;
// a label's values are always drawn from a small known set (a route pattern, a phase, an error class), never from
// a URL or a user's input, so that no metric's series can grow without bound. Pod CPU and memory are per pod.
import { Counter, Gauge, Histogram } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";
import { SampledMetric } from "./sampled-metric.js";

const registers = [metricsRegistry];

/** Seconds, from a quick store read to a slow rollout step. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const apiRequests = new Counter({
  name: "orchestra_api_requests_total",
  help: "API requests answered, by method, route pattern and status code",
  labelNames: ["method", "route", "status"] as const,
  registers,
});

export const apiRequestDuration = new Histogram({
  name: "orchestra_api_request_duration_seconds",
  help: "Time from receiving an API request to sending its answer, by method, route pattern and status code",
  labelNames: ["method", "route", "status"] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const storeOperationDuration = new Histogram({
  name: "orchestra_store_operation_duration_seconds",
  help: "Time of a store call, by operation (get, list, list_page, count, create, set, delete, transaction, watch, leader)",
  labelNames: ["operation"] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const storeOperationErrors = new Counter({
  name: "orchestra_store_operation_errors_total",
  help: "Store calls that failed, by operation and error (conflict, not_found, fenced, unavailable, other)",
  labelNames: ["operation", "error"] as const,
  registers,
});

export const workQueueDepth = new SampledMetric(
  "gauge",
  "orchestra_workqueue_depth",
  "Keys waiting in a control loop's work queue (not counting those being worked on or waiting out a backoff)",
  ["controller"] as const,
);

export const reconcileDuration = new Histogram({
  name: "orchestra_reconcile_duration_seconds",
  help: "Time of one reconcile of one key, by control loop and result (success, error)",
  labelNames: ["controller", "result"] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const schedulingAttempts = new Counter({
  name: "orchestra_scheduling_attempts_total",
  help: "Pods the scheduler tried to place, by result (scheduled, unschedulable, conflict, error)",
  labelNames: ["result"] as const,
  registers,
});

export const schedulingDuration = new Histogram({
  name: "orchestra_scheduling_duration_seconds",
  help: "Time of one scheduling batch: the decision over the pending pods and the commit of its bindings",
  buckets: LATENCY_BUCKETS,
  registers,
});

export const podsByPhase = new SampledMetric(
  "gauge",
  "orchestra_pods",
  "Pods in the cluster by phase, as the leading controller sees them",
  ["phase"] as const,
);

export const nodesByStatus = new SampledMetric(
  "gauge",
  "orchestra_nodes",
  "Nodes by status (Ready: registered; NotReady: pods are bound to it but its worker is gone), as the leading controller sees them",
  ["status"] as const,
);

export const rolloutsByState = new SampledMetric(
  "gauge",
  "orchestra_rollouts",
  "Deployments' latest rollouts by state (progressing, complete, failed, rolled-back), as the leading controller sees them",
  ["state"] as const,
);

export const leader = new Gauge({
  name: "orchestra_leader",
  help: "1 while this process leads the election (controller, scheduler), else 0",
  labelNames: ["election"] as const,
  registers,
});

export const dnsQueries = new Counter({
  name: "orchestra_dns_queries_total",
  help: "DNS messages answered, by transport (udp, tcp) and answer code (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, FORMERR, ...; dropped when none was sent)",
  labelNames: ["transport", "rcode"] as const,
  registers,
});

export const podCpuSeconds = new SampledMetric(
  "counter",
  "orchestra_pod_cpu_seconds_total",
  "CPU time the pod's container used since it started, in seconds (rate() gives cores), from the engine's stats",
  ["node", "deployment", "pod"] as const,
);

export const podMemoryBytes = new SampledMetric(
  "gauge",
  "orchestra_pod_memory_bytes",
  "Memory the pod's container uses now (its working set), in bytes, from the engine's stats",
  ["node", "deployment", "pod"] as const,
);

/** Seconds since `startedAt` (a performance.now() reading): metrics time real work, not the injected clock. */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}
