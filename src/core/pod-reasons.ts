// The reasons a worker gives when it cannot start a pod's container (PodStatus.reason), and which of them the
// controller takes as certain: a rollout whose new pods report one fails at once instead of at its deadline.
//
// A failure is certain when the engine refused the same step for good twice in a row for the pod (a retry a
// moment later met the same answer): the image does not exist or cannot be pulled (not found, access denied,
// registry name unresolvable, connection refused), or the engine refuses to create or start the container
// (invalid settings, command not found). A failure that may pass (a pull or call that timed out, a registry's
// 5xx, a dropped connection) or a first refusal is transient: the pod keeps being retried with back-off and the
// rollout keeps its progress deadline.

/** Certain: the image cannot be pulled (definitive refusals, twice in a row). */
export const ERR_IMAGE_PULL = "ErrImagePull";
/** Transient: a pull failed in a way that may pass, or failed for good once so far; retried with back-off. */
export const IMAGE_PULL_BACK_OFF = "ImagePullBackOff";
/** Certain: the engine refused to create the container (twice in a row). */
export const CREATE_CONTAINER_ERROR = "CreateContainerError";
/** Certain: the engine refused to start the container, e.g. its command was not found (twice in a row). */
export const RUN_CONTAINER_ERROR = "RunContainerError";
/** Transient: creating or starting the container failed in a way that may pass; retried with back-off. */
export const CONTAINER_START_BACK_OFF = "ContainerStartBackOff";
/** The container crashed and waits out its restart back-off (the restart limit decides what is certain). */
export const CRASH_LOOP_BACK_OFF = "CrashLoopBackOff";

/** Consecutive definitive refusals of one step after which a start failure is certain. */
export const CERTAIN_AFTER_REFUSALS = 2;

export type StartStep = "pull" | "create" | "start";

/** The pod reason for a failed start `step`, given whether the engine refused for good and how often in a row. */
export function startFailureReason(
  step: StartStep,
  definitive: boolean,
  consecutiveRefusals: number,
): string {
  const certain = definitive && consecutiveRefusals >= CERTAIN_AFTER_REFUSALS;
  if (step === "pull") return certain ? ERR_IMAGE_PULL : IMAGE_PULL_BACK_OFF;
  if (!certain) return CONTAINER_START_BACK_OFF;
  return step === "create" ? CREATE_CONTAINER_ERROR : RUN_CONTAINER_ERROR;
}

const CERTAIN_REASONS: ReadonlySet<string> = new Set([
  ERR_IMAGE_PULL,
  CREATE_CONTAINER_ERROR,
  RUN_CONTAINER_ERROR,
]);

/** Whether a pod reporting `reason` cannot start soon whatever is retried (see the top of this file). */
export function isCertainStartFailure(reason: string | undefined): boolean {
  return reason !== undefined && CERTAIN_REASONS.has(reason);
}
