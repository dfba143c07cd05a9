// How long a worker waits before restarting a container that keeps crashing: by default 1 s doubling to
// 5 min, forgotten after 10 min of running without a crash (as Kubernetes' CrashLoopBackOff does), and when
// a pod has crashed more than `limit` times in a row here, it is time to move it to another node. Pure: the
// worker keeps each pod's CrashRecord and passes it in (see pod-sync-plan.ts).
import { DEFAULT_RESTART_POLICY } from "../core/defaults.js";
import type { RestartPolicy } from "../core/types.js";

export interface CrashBackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** A container that ran this long since its last crash starts over at no delay. */
  resetAfterMs?: number;
  /** Restarts tried on this node before the pod is moved: the crash after the `limit`-th restart moves it. */
  limit?: number;
}

/** A pod's crashes on this node so far. */
export interface CrashRecord {
  /** Crashes in a row. */
  consecutive: number;
  /** Epoch ms of the last one. */
  lastCrashAt: number;
}

/** What to do about a crash. */
export interface CrashDecision {
  /** The record with this crash counted. */
  record: CrashRecord;
  /** Crashes in a row on this node, this one included. */
  consecutive: number;
  /** Epoch ms when a restart may happen. */
  restartAt: number;
  delayMs: number;
  /** More crashes in a row than the limit allows: reschedule elsewhere instead of restarting. */
  overLimit: boolean;
}

/** A pod's restart policy in the milliseconds the backoff works in. */
export function backoffOptionsOf(policy: RestartPolicy): Required<CrashBackoffOptions> {
  return {
    initialMs: policy.backoffInitialSeconds * 1000,
    maxMs: policy.backoffMaxSeconds * 1000,
    resetAfterMs: policy.resetAfterSeconds * 1000,
    limit: policy.limit,
  };
}

/**
 * The backoff in force for a pod: its own restart policy when it has one, else the worker's `defaults` over
 * DEFAULT_RESTART_POLICY.
 */
export function crashOptions(
  defaults: CrashBackoffOptions = {},
  policy?: RestartPolicy,
): Required<CrashBackoffOptions> {
  if (policy) return backoffOptionsOf(policy);
  const set = Object.entries(defaults).filter(([, value]) => value !== undefined);
  return { ...backoffOptionsOf(DEFAULT_RESTART_POLICY), ...Object.fromEntries(set) };
}

/**
 * Counts a crash at `now` after those of `previous`, and says when a restart may happen. The first crash
 * (or the first after `resetAfterMs` without one) restarts at once, so a single failure is replaced as fast
 * as the engine can.
 */
export function countCrash(
  previous: CrashRecord | undefined,
  options: Required<CrashBackoffOptions>,
  now: number,
): CrashDecision {
  const consecutive =
    previous && now - previous.lastCrashAt < options.resetAfterMs ? previous.consecutive + 1 : 1;
  const delayMs = delayFor(consecutive, options);
  return {
    record: { consecutive, lastCrashAt: now },
    consecutive,
    restartAt: now + delayMs,
    delayMs,
    overLimit: consecutive > options.limit,
  };
}

/** Milliseconds to wait after the `consecutive`-th crash in a row. */
export function delayFor(consecutive: number, options: Required<CrashBackoffOptions>): number {
  if (consecutive <= 1) return 0;
  return Math.min(options.maxMs, options.initialMs * 2 ** (consecutive - 2));
}
