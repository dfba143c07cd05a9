// The process's one Prometheus registry: every component in a process (all of them under `orchestra up`)
// registers its metrics here, and /metrics serves it whole. Node's own figures (CPU, memory, event-loop lag)
// come with it, under the same `orchestra_` prefix.
import { collectDefaultMetrics, Registry } from "prom-client";

export const metricsRegistry = new Registry();

collectDefaultMetrics({ register: metricsRegistry, prefix: "orchestra_" });
// prom-client names these gauges `..._total`, which Prometheus keeps for counters (`promtool check metrics`
// refuses them); the handles and requests they count are not worth a name of our own.
for (const kind of ["handles", "requests", "resources"])
  metricsRegistry.removeSingleMetric(`orchestra_nodejs_active_${kind}_total`);

/** The content type of the text exposition format, for the Content-Type header. */
export const METRICS_CONTENT_TYPE = metricsRegistry.contentType;

/** Every metric of this process in the Prometheus text format. */
export function metricsText(): Promise<string> {
  return metricsRegistry.metrics();
}
