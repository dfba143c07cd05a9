// Turns a pod bound to this node into the container that runs it.
import type { Pod } from "../core/types.js";
import { podLabels } from "../runtime/labels.js";
import type { ContainerSpec, Mount } from "../runtime/runtime.js";

export interface ContainerSettings {
  node: string;
  network: string;
  /** Cluster DNS servers and search domains given to every container, when DNS runs. */
  dns?: string[];
  dnsSearch?: string[];
  /** What the container mounts (worker/data/), and the environment variables of its configs (`env: true`). */
  mounts?: Mount[];
  configEnv?: Record<string, string>;
}

/** Container names are unique per engine; several workers may share one, so the node is part of it. */
export function containerName(pod: Pick<Pod, "name">, node: string): string {
  return `${pod.name}.${node}`;
}

export function containerSpecFor(pod: Pod, settings: ContainerSettings): ContainerSpec {
  const { template } = pod;
  return {
    name: containerName(pod, settings.node),
    image: template.image,
    command: template.command,
    env: {
      // The template's own variables win over a config's.
      ...settings.configEnv,
      ...template.env,
      ORCHESTRA_POD_NAME: pod.name,
      ORCHESTRA_POD_ID: pod.id,
      ORCHESTRA_DEPLOYMENT: pod.deployment,
      ORCHESTRA_NODE: settings.node,
    },
    labels: {
      ...template.labels,
      ...podLabels({
        node: settings.node,
        id: pod.id,
        name: pod.name,
        deployment: pod.deployment,
        revision: pod.hash,
      }),
    },
    network: settings.network,
    hostname: pod.name,
    dns: settings.dns,
    dnsSearch: settings.dnsSearch,
    resources: template.resources,
    ports: template.ports,
    ...(settings.mounts?.length ? { mounts: settings.mounts } : {}),
  };
}
