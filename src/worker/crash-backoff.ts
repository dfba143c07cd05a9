// How long a worker waits before restarting a container that keeps crashing: 1 s doubling to 5 min,
// forgotten after 10 min of running without a crash (as Kubernetes' CrashLoopBackOff does).
import type { Clock } from "../core/clock.js";

export interface CrashBackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** A container that ran this long since its last crash starts over at no delay. */
  resetAfterMs?: number;
}

interface CrashRecord {
  consecutive: number;
  lastCrashAt: number;
}

export class CrashBackoff {
  private readonly records = new Map<string, CrashRecord>();
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;

  constructor(
    private readonly clock: Clock,
    options: CrashBackoffOptions = {},
  ) {
    this.initialMs = options.initialMs ?? 1000;
    this.maxMs = options.maxMs ?? 300_000;
    this.resetAfterMs = options.resetAfterMs ?? 600_000;
  }

  /**
   * Records a crash of `podId`'s container and returns when a restart may happen (epoch ms). The first
   * crash restarts at once, so a single failure is replaced as fast as the engine can start a container.
   */
  crashed(podId: string): number {
    const now = this.clock.now();
    const previous = this.records.get(podId);
    const consecutive =
      previous && now - previous.lastCrashAt < this.resetAfterMs ? previous.consecutive + 1 : 1;
    this.records.set(podId, { consecutive, lastCrashAt: now });
    return now + this.delayFor(consecutive);
  }

  /** Milliseconds to wait after the `consecutive`-th crash in a row. */
  delayFor(consecutive: number): number {
    if (consecutive <= 1) return 0;
    return Math.min(this.maxMs, this.initialMs * 2 ** (consecutive - 2));
  }

  forget(podId: string): void {
    this.records.delete(podId);
  }
}
