// How long a worker waits before restarting a container that keeps crashing: by default 1 s doubling to
// 5 min, forgotten after 10 min of running without a crash (as Kubernetes' CrashLoopBackOff does), and when
// a pod has crashed more than `limit` times in a row here, it is time to move it to another node.
import type { Clock } from "../core/clock.js";
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

/** What to do about a crash. */
export interface CrashDecision {
  /** Crashes in a row on this node, this one included. */
  consecutive: number;
  /** Epoch ms when a restart may happen. */
  restartAt: number;
  delayMs: number;
  /** More crashes in a row than the limit allows: reschedule elsewhere instead of restarting. */
  overLimit: boolean;
}

interface CrashRecord {
  consecutive: number;
  lastCrashAt: number;
}

/** A pod's restart policy in the milliseconds CrashBackoff works in. */
export function backoffOptionsOf(policy: RestartPolicy): Required<CrashBackoffOptions> {
  return {
    initialMs: policy.backoffInitialSeconds * 1000,
    maxMs: policy.backoffMaxSeconds * 1000,
    resetAfterMs: policy.resetAfterSeconds * 1000,
    limit: policy.limit,
  };
}

export class CrashBackoff {
  private readonly records = new Map<string, CrashRecord>();
  private readonly defaults: Required<CrashBackoffOptions>;

  /** `defaults` apply to crashes recorded without a policy of their own. */
  constructor(
    private readonly clock: Clock,
    defaults: CrashBackoffOptions = {},
  ) {
    this.defaults = { ...backoffOptionsOf(DEFAULT_RESTART_POLICY), ...withoutUndefined(defaults) };
  }

  /**
   * Records a crash of `podId`'s container under `policy` (else the defaults) and says when a restart may
   * happen. The first crash restarts at once, so a single failure is replaced as fast as the engine can.
   */
  crashed(podId: string, policy: CrashBackoffOptions = {}): CrashDecision {
    const options = { ...this.defaults, ...withoutUndefined(policy) };
    const now = this.clock.now();
    const previous = this.records.get(podId);
    const consecutive =
      previous && now - previous.lastCrashAt < options.resetAfterMs ? previous.consecutive + 1 : 1;
    this.records.set(podId, { consecutive, lastCrashAt: now });
    const delayMs = delayFor(consecutive, options);
    return { consecutive, restartAt: now + delayMs, delayMs, overLimit: consecutive > options.limit };
  }

  /** Milliseconds to wait after the `consecutive`-th crash in a row. */
  delayFor(consecutive: number, policy: CrashBackoffOptions = {}): number {
    return delayFor(consecutive, { ...this.defaults, ...withoutUndefined(policy) });
  }

  forget(podId: string): void {
    this.records.delete(podId);
  }
}

function delayFor(consecutive: number, options: Required<CrashBackoffOptions>): number {
  if (consecutive <= 1) return 0;
  return Math.min(options.maxMs, options.initialMs * 2 ** (consecutive - 2));
}

function withoutUndefined(options: CrashBackoffOptions): CrashBackoffOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
