// The labels Orchestra puts on its containers and networks: how it finds its own after a restart,
// how several workers share one engine, and how `orchestra down` finds what to remove.

/** `true` on everything Orchestra created. */
export const LABEL_MANAGED = "orchestra.managed";
/** The worker node that runs the container. */
export const LABEL_NODE = "orchestra.node";
/** The pod's id (unique); `LABEL_POD_NAME` its readable name. */
export const LABEL_POD = "orchestra.pod";
export const LABEL_POD_NAME = "orchestra.pod-name";
export const LABEL_DEPLOYMENT = "orchestra.deployment";
/** Revision hash of the pod template the container was made from. */
export const LABEL_REVISION = "orchestra.revision";

export const MANAGED_LABELS: Readonly<Record<string, string>> = Object.freeze({ [LABEL_MANAGED]: "true" });

/** The labels of a pod's container. */
export function podLabels(pod: {
  node: string;
  id: string;
  name: string;
  deployment: string;
  revision: string;
}): Record<string, string> {
  return {
    [LABEL_MANAGED]: "true",
    [LABEL_NODE]: pod.node,
    [LABEL_POD]: pod.id,
    [LABEL_POD_NAME]: pod.name,
    [LABEL_DEPLOYMENT]: pod.deployment,
    [LABEL_REVISION]: pod.revision,
  };
}

/** Whether `labels` carries every entry of `wanted`. */
export function matchesLabels(labels: Record<string, string>, wanted: Record<string, string> = {}): boolean {
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}
