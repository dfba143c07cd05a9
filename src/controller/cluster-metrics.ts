// What the leading controller reports of the whole cluster: pods by phase, nodes by status, rollouts by state
// (orchestra_pods, orchestra_nodes, orchestra_rollouts), read from its caches at scrape time. Only the leader
// reports them, so that a cluster's figures come from one process and add up once.
import type { NodeInfo, Pod } from "../core/types.js";
import type { Informer } from "../machinery/informer.js";
import { nodesByStatus, podsByPhase, rolloutsByState } from "../metrics/metrics.js";
import { countBy } from "../metrics/sampled-metric.js";

export const POD_PHASES = ["Pending", "Starting", "Running", "Failed", "Succeeded", "Unknown"] as const;
export const NODE_STATUSES = ["Ready", "NotReady"] as const;
export const ROLLOUT_STATES = ["progressing", "complete", "failed", "rolled-back"] as const;

export interface ClusterMetricsSources {
  pods: Pick<Informer<Pod>, "list">;
  nodes: Pick<Informer<NodeInfo>, "names">;
  rolloutStates: () => Iterable<string>;
}

/** Reports the sources until the returned function is called. */
export function attachClusterMetrics(sources: ClusterMetricsSources): () => void {
  const detach = [
    podsByPhase.attach(() =>
      countBy(
        "phase",
        POD_PHASES,
        sources.pods.list().map((pod) => pod.status.phase),
      ),
    ),
    nodesByStatus.attach(() => countBy("status", NODE_STATUSES, nodeStatuses(sources))),
    rolloutsByState.attach(() => countBy("state", ROLLOUT_STATES, sources.rolloutStates())),
  ];
  return () => {
    for (const stop of detach) stop();
  };
}

/** Ready: registered. NotReady: pods are bound to it, but its worker's registration is gone. */
export function nodeStatuses(sources: Pick<ClusterMetricsSources, "pods" | "nodes">): string[] {
  const registered = new Set(sources.nodes.names());
  const absent = new Set<string>();
  for (const pod of sources.pods.list()) {
    if (pod.node !== undefined && !registered.has(pod.node)) absent.add(pod.node);
  }
  return [...[...registered].map(() => "Ready"), ...[...absent].map(() => "NotReady")];
}
