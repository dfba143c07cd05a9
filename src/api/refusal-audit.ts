// Records the API's refusals of credentials (401, 403 for a role) as cluster events: which token (its id, never
// the token), which route, which status. Bounded: at most `limit` events per window, so a client that sends
// bad tokens in a loop cannot fill the store; what was left out is counted in the next event recorded.
import { type Clock, systemClock } from "../core/clock.js";
import { truncated } from "../core/truncate.js";
import type { EventSink } from "../events/event-recorder.js";

/** Refusal events recorded per window, per API server; the rest are counted and summed up in the next one. */
export const DEFAULT_REFUSAL_EVENTS_PER_MINUTE = 30;
const WINDOW_MS = 60_000;

export interface Refusal {
  status: 401 | 403;
  /** The role token's id (of a token that may not exist); absent when no role token was sent. */
  tokenId?: string;
  method: string;
  /** The request's path, without its query. */
  path: string;
  reason: string;
}

export class RefusalAudit {
  private readonly clock: Clock;
  private readonly limit: number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private recorded = 0;
  private dropped = 0;

  constructor(
    private readonly events: EventSink,
    options: { clock?: Clock; perMinute?: number } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.limit = options.perMinute ?? DEFAULT_REFUSAL_EVENTS_PER_MINUTE;
  }

  record(refusal: Refusal): void {
    const now = this.clock.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.recorded = 0;
    }
    if (this.recorded >= this.limit) {
      this.dropped++;
      return;
    }
    this.recorded++;
    const unrecorded = this.dropped > 0 ? ` (${this.dropped} earlier refusals not recorded)` : "";
    this.dropped = 0;
    this.events.record({
      type: "Warning",
      reason: refusal.status === 401 ? "Unauthorized" : "Forbidden",
      object: `token/${refusal.tokenId ?? "none"}`,
      message: `${refusal.method} ${truncated(refusal.path)}: ${refusal.status}, ${refusal.reason}${unrecorded}`,
    });
  }
}
