// Each running pod's CPU time and memory on this node (orchestra_pod_cpu_seconds_total, orchestra_pod_memory_bytes),
// read from the engine's stats at scrape time: nothing is sampled between scrapes, and a scrape costs one
// container listing and one stats call per running container of the node.
import { podCpuSeconds, podMemoryBytes } from "../metrics/metrics.js";
import type { Sample } from "../metrics/sampled-metric.js";
import { LABEL_DEPLOYMENT, LABEL_MANAGED, LABEL_NODE, LABEL_POD_NAME } from "../runtime/labels.js";
import type { ContainerInfo } from "../runtime/runtime.js";

/** A container's resource use now: the figures the engine's stats give. */
export interface ContainerUsage {
  /** CPU time used since the container started, in seconds. */
  cpuSeconds: number;
  /** Memory in use (the working set), in bytes. */
  memoryBytes: number;
}

export interface PodUsageSource {
  node: string;
  list(options: { labels: Record<string, string> }): Promise<ContainerInfo[]>;
  /** Rejects for a container that stopped or went away meanwhile; that container is left out. */
  stats(id: string): Promise<ContainerUsage>;
}

type PodLabel = "node" | "deployment" | "pod";

/** Reports the node's pods until the returned function is called. */
export function attachPodUsageMetrics(source: PodUsageSource): () => void {
  // One read of the engine serves both metrics of a scrape: the registry collects them side by side, so the
  // second one joins the read the first one started.
  let pending: Promise<[Sample<PodLabel>[], Sample<PodLabel>[]]> | undefined;
  const read = () => {
    pending ??= podUsage(source).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const detach = [
    podCpuSeconds.attach(async () => (await read())[0]),
    podMemoryBytes.attach(async () => (await read())[1]),
  ];
  return () => {
    for (const stop of detach) stop();
  };
}

/** CPU and memory samples of every running container of the node, labelled with its node, deployment and pod. */
export async function podUsage(source: PodUsageSource): Promise<[Sample<PodLabel>[], Sample<PodLabel>[]]> {
  const containers = await source.list({ labels: { [LABEL_MANAGED]: "true", [LABEL_NODE]: source.node } });
  const running = containers.filter((container) => container.running);
  const usages = await Promise.all(
    running.map((container) => source.stats(container.id).catch(() => undefined)),
  );
  const cpu: Sample<PodLabel>[] = [];
  const memory: Sample<PodLabel>[] = [];
  running.forEach((container, i) => {
    const usage = usages[i];
    if (!usage) return;
    const labels = {
      node: source.node,
      deployment: container.labels[LABEL_DEPLOYMENT] ?? "",
      pod: container.labels[LABEL_POD_NAME] ?? container.name,
    };
    cpu.push([labels, usage.cpuSeconds]);
    memory.push([labels, usage.memoryBytes]);
  });
  return [cpu, memory];
}
