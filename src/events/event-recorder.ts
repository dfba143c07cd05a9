// Records cluster events in the store (`/events/<id>`), bounded in number: the oldest are pruned once
// there are more than `limit`. Recording never fails the caller: an event that cannot be written is logged.
// A repeat (same object, type and reason within EVENT_SERIES_WINDOW_MS of the last time) is counted, as
// Kubernetes' `count`/`lastTimestamp`: the one event moves to the new time (a new id, so pollers with `since`
// see it) with the count and the first time, instead of a storm of copies from a loop that keeps retrying.
import { randomBytes } from "node:crypto";
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import type { ClusterEvent } from "../core/types.js";
import { keys } from "../store/keys.js";
import { baseName, type Store } from "../store/store.js";

export type EventInput = Omit<ClusterEvent, "id" | "time" | "source" | "count" | "firstTime">;

export interface RecordOptions {
  /** false: never counted on an earlier event (audit records, each kept with its own details). Default true. */
  counted?: boolean;
}

export interface EventSink {
  record(event: EventInput, options?: RecordOptions): void;
}

/** Records nothing: for tests and components run without events. */
export const noEvents: EventSink = { record() {} };

export const DEFAULT_EVENT_LIMIT = 1000;
/** A repeat within this long of an event's last time is counted on it (Kubernetes' 10 minutes). */
export const EVENT_SERIES_WINDOW_MS = 10 * 60_000;
/** Series remembered at most; past it, those outside the window are forgotten. */
const MAX_SERIES = 10_000;

/** The last event written for an object, type and reason; `written` settles once it is in the store. */
interface Series {
  key: string;
  count: number;
  firstTime: string;
  lastAt: number;
  written: Promise<void>;
}

export class EventRecorder implements EventSink {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly limit: number;
  private writesSincePrune = 0;
  private pruning = false;
  private pending = new Set<Promise<void>>();
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly store: Store,
    private readonly source: string,
    options: { clock?: Clock; limit?: number } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.limit = options.limit ?? DEFAULT_EVENT_LIMIT;
    this.log = makeLogger("events", { source });
  }

  record(input: EventInput, options: RecordOptions = {}): void {
    const now = this.clock.now();
    // Time first (fixed width) so that keys sort by time; random tail so that writers never collide.
    const id = `${now.toString(36).padStart(9, "0")}-${randomBytes(4).toString("hex")}`;
    const time = new Date(now).toISOString();
    const seriesKey = `${input.object}\u0000${input.type}\u0000${input.reason}`;
    const previous = this.series.get(seriesKey);
    const repeat =
      options.counted !== false && previous !== undefined && now - previous.lastAt < EVENT_SERIES_WINDOW_MS
        ? previous
        : undefined;
    const event: ClusterEvent = { id, time, source: this.source, ...input };
    if (repeat) {
      event.count = repeat.count + 1;
      event.firstTime = repeat.firstTime;
    }
    // A repeat replaces the series' last event once that one is written (writes of one series in order).
    const write = (repeat ? repeat.written.then(() => this.replace(repeat.key, event)) : this.create(event))
      .then(() => this.maybePrune())
      .catch((err) =>
        this.log.warn({ err, reason: input.reason, object: input.object }, "event not recorded"),
      )
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
    this.series.set(seriesKey, {
      key: keys.event(id),
      count: event.count ?? 1,
      firstTime: event.firstTime ?? time,
      lastAt: now,
      written: write,
    });
    if (this.series.size > MAX_SERIES) this.forgetSeriesBefore(now - EVENT_SERIES_WINDOW_MS);
  }

  private async create(event: ClusterEvent): Promise<void> {
    await this.store.create(keys.event(event.id), event);
  }

  /** The series' last event gives way to `event`; if it is gone already (pruned), `event` is just created. */
  private async replace(oldKey: string, event: ClusterEvent): Promise<void> {
    try {
      await this.store.transaction([
        { op: "delete", key: oldKey },
        { op: "create", key: keys.event(event.id), value: event },
      ]);
    } catch {
      await this.create(event);
    }
  }

  private forgetSeriesBefore(cutoff: number): void {
    for (const [key, series] of this.series) if (series.lastAt < cutoff) this.series.delete(key);
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
