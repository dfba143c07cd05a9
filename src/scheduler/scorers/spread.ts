// Score: fewer pods of the pod's own deployment on the node is better, so replicas land on different
// machines and one machine's loss takes as few of them as possible.
import type { Scorer } from "../framework.js";

export const spreadDeployment: Scorer = (node, pod, state) =>
  -(state.of(node.name).byDeployment.get(pod.deployment) ?? 0);
