// Defaults of the optional parts of a deployment, in one place: validation fills health checks and
// restart policies with them; the controller resolves a deployment's rollout strategy with them.
import type { RolloutStrategy } from "./types.js";

/** As in Kubernetes: 25% surge and 25% unavailable; rollback on failure as in Swarm and Nomad. */
export const DEFAULT_STRATEGY = {
  maxSurge: "25%",
  maxUnavailable: "25%",
  minReadySeconds: 0,
  progressDeadlineSeconds: 120,
  autoRollback: true,
};

/** Timing of a health check whose fields were left out (Docker's HEALTHCHECK defaults, quicker). */
export const DEFAULT_HEALTH_TIMING = {
  intervalSeconds: 5,
  timeoutSeconds: 2,
  retries: 3,
  startPeriodSeconds: 0,
} as const;

/** 1 s doubling to 5 min, reset after 10 min of running (Kubernetes' CrashLoopBackOff); move after 5. */
export const DEFAULT_RESTART_POLICY = {
  backoffInitialSeconds: 1,
  backoffMaxSeconds: 300,
  resetAfterSeconds: 600,
  limit: 5,
} as const;

export function resolveStrategy(strategy: Partial<RolloutStrategy> | undefined): RolloutStrategy {
  return { ...DEFAULT_STRATEGY, ...strategy };
}

/**
 * A surge or unavailability budget as a pod count: percentages of `replicas`, surge rounded up and
 * unavailable rounded down (as Kubernetes does), so that 25% of 1 still lets one new pod surge.
 */
export function resolveBudget(value: number | string, replicas: number, round: "up" | "down"): number {
  if (typeof value === "number") return value;
  const percent = Number(value.slice(0, -1));
  const exact = (percent * replicas) / 100;
  return round === "up" ? Math.ceil(exact) : Math.floor(exact);
}
