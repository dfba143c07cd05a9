// Whether a pod is ready: its container runs and, when the template has a health check, the check passes.
// Ready pods are the ones DNS answers with and rollouts count as available.
import type { Pod, PodStatus } from "../core/types.js";

/**
 * `status` with `ready` and `readySince` set for a pod whose container is (`running`) or is not running.
 * `readySince` keeps the moment the pod last became ready, for `minReadySeconds`.
 */
export function withReadiness(status: PodStatus, pod: Pod, running: boolean, now: Date): PodStatus {
  // A pod the controller is draining before deletion stays unready whatever its container does.
  const ready =
    running &&
    pod.terminatingSince === undefined &&
    (pod.template.healthCheck === undefined || status.health === "healthy");
  const since = status.ready ? status.readySince : now.toISOString();
  return { ...status, ready, readySince: ready ? since : undefined };
}
