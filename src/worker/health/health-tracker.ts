// The verdict of a health check from its probe results: "starting" until the first success (failures within
// the start period do not count), "healthy", and "unhealthy" after `retries` consecutive failures.
import type { HealthCheck, PodStatus } from "../../core/types.js";

export type HealthVerdict = NonNullable<PodStatus["health"]>;

export class HealthTracker {
  private current: HealthVerdict;
  private failures = 0;
  private lastDetail = "";

  constructor(
    private readonly check: Pick<HealthCheck, "retries" | "startPeriodSeconds">,
    /** When the container started (epoch ms): the start period runs from there. */
    private readonly startedAt: number,
    initial: HealthVerdict = "starting",
  ) {
    this.current = initial;
  }

  get verdict(): HealthVerdict {
    return this.current;
  }

  /** Consecutive failures counted so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** What the last probe said. */
  get detail(): string {
    return this.lastDetail;
  }

  /** Takes one probe result at time `at`; returns whether the verdict changed. */
  record(ok: boolean, at: number, detail = ""): boolean {
    const before = this.current;
    this.lastDetail = detail;
    if (ok) {
      this.failures = 0;
      this.current = "healthy";
    } else if (!(this.current === "starting" && at - this.startedAt < this.check.startPeriodSeconds * 1000)) {
      // Docker's rule: a success ends the start period early; after it every failure counts.
      this.failures++;
      if (this.failures >= Math.max(1, this.check.retries)) this.current = "unhealthy";
    }
    return this.current !== before;
  }
}
