// Runs the health checks of the pods on this node: one prober per running container, probing on the check's
// interval, telling the worker only when a verdict changes (so status is written on transitions, not probes).
import { type Clock, systemClock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import type { HealthCheck } from "../../core/types.js";
import type { ContainerRuntime } from "../../runtime/runtime.js";
import { HealthTracker, type HealthVerdict } from "./health-tracker.js";
import { type ProbeResult, type ProbeTarget, runProbe } from "./probe.js";

/** A running container whose health is to be followed. */
export interface MonitoredContainer extends ProbeTarget {
  check: HealthCheck;
  /** When the container started (epoch ms): the start period runs from there. */
  startedAt: number;
  /** Verdict to start from, e.g. the one stored before this worker restarted and adopted the container. */
  initial?: HealthVerdict;
}

export interface HealthReport {
  verdict: HealthVerdict;
  /** What the last probe said. */
  detail: string;
  consecutiveFailures: number;
}

/** A container being probed, and the verdict so far. */
export interface ProbedContainer {
  target: MonitoredContainer;
  report: HealthReport;
}

export interface HealthMonitorOptions {
  runtime: ContainerRuntime;
  /** Told when the verdict of a pod's current container changes. */
  onChange: (podId: string, report: HealthReport) => void;
  clock?: Clock;
  log?: Logger;
  /** Replaces the real probe (tests). */
  probe?: (check: HealthCheck, target: ProbeTarget, runtime: ContainerRuntime) => Promise<ProbeResult>;
}

interface Prober {
  target: MonitoredContainer;
  tracker: HealthTracker;
  stopped: boolean;
  cancelTimer?: () => void;
}

export class HealthMonitor {
  private readonly probers = new Map<string, Prober>();
  private readonly clock: Clock;
  private readonly probe: NonNullable<HealthMonitorOptions["probe"]>;

  constructor(private readonly options: HealthMonitorOptions) {
    this.clock = options.clock ?? systemClock;
    this.probe = options.probe ?? runProbe;
  }

  /** Pods being probed. */
  get size(): number {
    return this.probers.size;
  }

  /**
   * Probes `target` from now on (the first probe at once, then every interval). Idempotent: the same
   * container with the same check keeps its prober; another container or check starts over.
   */
  watch(podId: string, target: MonitoredContainer): void {
    const current = this.probers.get(podId);
    if (current && sameTarget(current.target, target)) return;
    this.stop(podId);
    const prober: Prober = {
      target,
      tracker: new HealthTracker(target.check, target.startedAt, target.initial),
      stopped: false,
    };
    this.probers.set(podId, prober);
    this.schedule(podId, prober, 0);
  }

  /** The verdict on `containerId` of `podId`, if that container is the one being probed. */
  report(podId: string, containerId: string): HealthReport | undefined {
    const prober = this.probers.get(podId);
    if (!prober || prober.target.containerId !== containerId) return undefined;
    return reportOf(prober.tracker);
  }

  /** The container probed for `podId` and the verdict on it, if one is probed. */
  current(podId: string): ProbedContainer | undefined {
    const prober = this.probers.get(podId);
    return prober && { target: prober.target, report: reportOf(prober.tracker) };
  }

  /** Stops probing `podId` (its container went, or the pod did). */
  stop(podId: string): void {
    const prober = this.probers.get(podId);
    if (!prober) return;
    prober.stopped = true;
    prober.cancelTimer?.();
    this.probers.delete(podId);
  }

  stopAll(): void {
    for (const podId of [...this.probers.keys()]) this.stop(podId);
  }

  private schedule(podId: string, prober: Prober, delayMs: number): void {
    prober.cancelTimer = this.clock.setTimeout(() => void this.tick(podId, prober), delayMs);
  }

  /** One probe; the next is scheduled only after it ends, so probes of one container never overlap. */
  private async tick(podId: string, prober: Prober): Promise<void> {
    if (prober.stopped) return;
    const { check } = prober.target;
    // A probe that throws (it should not) counts as failed rather than ending the prober unnoticed.
    const result = await this.probe(check, prober.target, this.options.runtime).catch(
      (err: unknown): ProbeResult => ({
        ok: false,
        detail: err instanceof Error ? err.message : String(err),
      }),
    );
    if (prober.stopped) return;
    const changed = prober.tracker.record(result.ok, this.clock.now(), result.detail);
    if (!result.ok) this.options.log?.debug({ podId, detail: result.detail }, "health probe failed");
    if (changed) this.options.onChange(podId, reportOf(prober.tracker));
    if (!prober.stopped) this.schedule(podId, prober, check.intervalSeconds * 1000);
  }
}

function reportOf(tracker: HealthTracker): HealthReport {
  return {
    verdict: tracker.verdict,
    detail: tracker.detail,
    consecutiveFailures: tracker.consecutiveFailures,
  };
}

/** Whether `watch(b)` would keep probing `a` as it is (same container, address and check). */
export function sameTarget(a: MonitoredContainer, b: MonitoredContainer): boolean {
  return (
    a.containerId === b.containerId && a.ip === b.ip && JSON.stringify(a.check) === JSON.stringify(b.check)
  );
}
