// A deployment's status, computed from its pods each time it is read: nothing stores it, so it is never stale.
import type {
  Deployment,
  DeploymentStatus,
  DeploymentWithStatus,
  Pod,
  RolloutStatus,
} from "../core/types.js";

export type { DeploymentWithStatus } from "../core/types.js";

/** `pods` may hold other deployments' pods; only this deployment's count. */
export function deploymentStatus(deployment: Deployment, pods: readonly Pod[]): DeploymentStatus {
  let readyReplicas = 0;
  let updatedReplicas = 0;
  let availableReplicas = 0;
  for (const pod of pods) {
    if (pod?.deployment !== deployment.name) continue;
    // Pods are written by other components; a malformed one is counted as neither ready nor updated.
    // Ready: running and, with a health check, healthy (the worker sets `ready`).
    const ready = pod.status?.phase === "Running" && pod.status.ready !== false;
    const updated = pod.hash === deployment.hash;
    if (ready) readyReplicas++;
    if (updated) updatedReplicas++;
    if (ready && updated) availableReplicas++;
  }
  return { replicas: deployment.replicas, readyReplicas, updatedReplicas, availableReplicas };
}

/** With the controller's latest rollout, when there is one: its state says whether it rolled back and why. */
export function withStatus(
  deployment: Deployment,
  pods: readonly Pod[],
  rollout?: RolloutStatus,
): DeploymentWithStatus {
  const status = deploymentStatus(deployment, pods);
  if (rollout)
    status.rollout = { revision: rollout.revision, state: rollout.state, message: rollout.message };
  return { ...deployment, status };
}
