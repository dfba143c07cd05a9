// Records cluster events in the store (`/events/<id>`), bounded in number: the oldest are pruned once
// there are more than `limit`. Recording never fails the caller: an event that cannot be written is logged.
import { randomBytes } from "node:crypto";
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import type { ClusterEvent } from "../core/types.js";
import { keys } from "../store/keys.js";
import { baseName, type Store } from "../store/store.js";

export type EventInput = Omit<ClusterEvent, "id" | "time" | "source">;

export interface EventSink {
  record(event: EventInput): void;
}

/** Records nothing: for tests and components run without events. */
export const noEvents: EventSink = { record() {} };

export const DEFAULT_EVENT_LIMIT = 1000;

export class EventRecorder implements EventSink {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly limit: number;
  private writesSincePrune = 0;
  private pruning = false;
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly source: string,
    options: { clock?: Clock; limit?: number } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.limit = options.limit ?? DEFAULT_EVENT_LIMIT;
    this.log = makeLogger("events", { source });
  }

  record(input: EventInput): void {
    const now = this.clock.now();
    // Time first (fixed width) so that keys sort by time; random tail so that writers never collide.
    const id = `${now.toString(36).padStart(9, "0")}-${randomBytes(4).toString("hex")}`;
    const event: ClusterEvent = { id, time: new Date(now).toISOString(), source: this.source, ...input };
    const write = this.store
      .create(keys.event(id), event)
      .then(() => this.maybePrune())
      .catch((err) =>
        this.log.warn({ err, reason: input.reason, object: input.object }, "event not recorded"),
      )
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  /** Waits for the events recorded so far to be written (for shutdown and tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async maybePrune(): Promise<void> {
    // Listing costs a read of every event: do it once per tenth of the limit's worth of writes.
    this.writesSincePrune++;
    if (this.pruning || this.writesSincePrune < Math.max(1, Math.floor(this.limit / 10))) return;
    this.pruning = true;
    this.writesSincePrune = 0;
    try {
      const all = await this.store.list<ClusterEvent>(keys.events);
      const excess = all.length - this.limit;
      for (const entry of all.slice(0, Math.max(0, excess))) {
        await this.store.delete(entry.key).catch(() => undefined); // another recorder may have pruned it
      }
      if (excess > 0) this.log.debug({ pruned: excess }, "pruned old events");
    } finally {
      this.pruning = false;
    }
  }
}

/** Events about `object` or about anything of `deployment`, oldest first. */
export function eventsFor(events: ClusterEvent[], name?: string): ClusterEvent[] {
  if (name === undefined) return events;
  return events.filter(
    (event) => event.deployment === name || baseName(`/${event.object}`) === name || event.object === name,
  );
}
