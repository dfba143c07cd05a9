// Every change of a pod's state, as named pure functions (Nomad's markStop/markDelayed): the scheduler binds,
// the controller unbinds pods of lost nodes and marks the ones it removes terminating, the worker moves a
// crash-looping pod away and writes what its container does. Writers apply them with compare-and-set
// (store/compare-and-set.ts); evicting a pod deletes it (api/eviction.ts decides whether it may go).
import type { Pod, PodStatus } from "./types.js";

/** The reason of a pod no node can take now (`get pods` STATUS, as Kubernetes' PodScheduled condition says). */
export const UNSCHEDULABLE = "Unschedulable";

/** Bound to `node` by the scheduler: still Pending (the worker moves it on), any unschedulable message cleared. */
export function bind(pod: Pod, node: string, now: string): Pod {
  const { message: _cleared, reason, ...status } = pod.status;
  const kept = reason === undefined || reason === UNSCHEDULABLE ? {} : { reason };
  return { ...pod, node, status: { ...status, ...kept, phase: "Pending" }, updatedAt: now };
}

/** Left unbound: Pending, reason Unschedulable, with why no node fits as its message. */
export function markUnschedulable(pod: Pod, message: string, now: string): Pod {
  return {
    ...pod,
    status: { ...pod.status, phase: "Pending", reason: UNSCHEDULABLE, message },
    updatedAt: now,
  };
}

/**
 * Taken off its node (lost, say), for the scheduler to place again under the same name: Pending, not ready,
 * nothing left of the old container; restarts and avoidNodes are kept.
 */
export function unbind(pod: Pod, message: string, now: string): Pod {
  const { node: _unbound, ...rest } = pod;
  const {
    containerId: _c,
    ip: _i,
    health: _h,
    readySince: _r,
    startedAt: _s,
    reason: _e,
    ...status
  } = pod.status;
  return { ...rest, status: { ...status, phase: "Pending", ready: false, message }, updatedAt: now };
}

/** Unbound from `node`, where it kept crashing, and marked to avoid it (Nomad's restart-then-reschedule). */
export function moveAway(pod: Pod, node: string, message: string, now: string): Pod {
  return { ...unbind(pod, message, now), avoidNodes: [...new Set([...(pod.avoidNodes ?? []), node])] };
}

/**
 * Marked for removal by the controller: terminating and not ready (so DNS drops it) while its container keeps
 * serving through the drain delay; deleted after it.
 */
export function markTerminating(pod: Pod, now: string): Pod {
  const { readySince: _readySince, ...status } = pod.status;
  return {
    ...pod,
    terminatingSince: now,
    status: { ...status, ready: false, message: "terminating" },
    updatedAt: now,
  };
}

// The worker's status changes: each maps the status as it is in the store (re-read on conflict) to the new one.

/**
 * `status` with `ready` and `readySince` set for a pod whose container is (`running`) or is not running.
 * Ready: running, not terminating, and healthy when the template has a health check. `readySince` keeps the
 * moment the pod last became ready, for `minReadySeconds`.
 */
export function withReadiness(status: PodStatus, pod: Pod, running: boolean, now: string): PodStatus {
  const ready =
    running &&
    pod.terminatingSince === undefined &&
    (pod.template.healthCheck === undefined || status.health === "healthy");
  const since = status.ready ? status.readySince : now;
  return { ...status, ready, readySince: ready ? since : undefined };
}

/** The part of a container the status shows. */
export interface RunningContainer {
  id: string;
  ip?: string;
  startedAt?: string;
}

/** A container found running (adopted, or started earlier), with the health check's verdict on it. */
export function containerRunning(
  status: PodStatus,
  pod: Pod,
  container: RunningContainer,
  { health, now }: { health?: PodStatus["health"]; now: string },
): PodStatus {
  return running(status, pod, container, health, container.startedAt ?? status.startedAt, now);
}

/** A container just started: its health check starts over, and `restarts` (0 or 1) is counted. */
export function containerStarted(
  status: PodStatus,
  pod: Pod,
  container: RunningContainer,
  { restarts, now }: { restarts: number; now: string },
): PodStatus {
  const health = pod.template.healthCheck ? "starting" : undefined;
  const started = running(status, pod, container, health, container.startedAt ?? now, now);
  return { ...started, restarts: status.restarts + restarts };
}

/** The container crashed (`restarts` counts it) and waits out its back-off: `message` says how long. */
export function crashLoopBackOff(
  status: PodStatus,
  pod: Pod,
  { restarts, message }: { restarts: number; message: string },
  now: string,
): PodStatus {
  return {
    ...withReadiness(status, pod, false, now),
    phase: "Failed",
    reason: "CrashLoopBackOff",
    restarts: status.restarts + restarts,
    containerId: undefined,
    ip: undefined,
    message,
  };
}

/**
 * The image is not on the node and could not be pulled: Pending until it is, `reason` says how sure that is
 * (core/pod-reasons.ts), `message` names the image.
 */
export function imageMissing(
  status: PodStatus,
  pod: Pod,
  { reason, message }: { reason: string; message: string },
  now: string,
): PodStatus {
  return { ...withReadiness(status, pod, false, now), phase: "Pending", reason, message };
}

/**
 * The engine refused to create or start the container (`reason`, when it says how sure that is), and
 * `restarts` counts a crash before it, if any.
 */
export function startFailed(
  status: PodStatus,
  pod: Pod,
  { restarts, reason, message }: { restarts: number; reason: string | undefined; message: string },
  now: string,
): PodStatus {
  return {
    ...withReadiness(status, pod, false, now),
    phase: "Failed",
    reason,
    restarts: status.restarts + restarts,
    message,
  };
}

function running(
  status: PodStatus,
  pod: Pod,
  container: RunningContainer,
  health: PodStatus["health"],
  startedAt: string | undefined,
  now: string,
): PodStatus {
  return {
    ...withReadiness({ ...status, health }, pod, true, now),
    phase: "Running",
    message: undefined,
    reason: undefined,
    containerId: container.id,
    ip: container.ip,
    startedAt,
  };
}
