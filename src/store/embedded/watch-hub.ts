// In-process delivery of committed changes to the watchers of each directory, in commit order.
// Delivery is deferred (setImmediate) so a listener never runs inside a writer's call and cannot fail it.
import { deepFreeze } from "../../core/deep-freeze.js";
import { logger } from "../../core/logger.js";
import { parentOf, type WatchEvent } from "../store.js";

/**
 * A committed change. The value stays JSON until a watcher is due to receive it; it is then parsed once into
 * `event`, deep-frozen, and that same event goes to every watcher (none can change what another one sees).
 */
export type Change =
  | { type: "put"; key: string; json: string; version: number; event?: WatchEvent }
  | { type: "delete"; key: string; event?: WatchEvent };

export interface Watcher {
  readonly dir: string;
  readonly listener: (event: WatchEvent) => void;
  stopped: boolean;
}

const log = logger("store.embedded");

export class WatchHub {
  private readonly byDir = new Map<string, Set<Watcher>>();
  private queue: { watcher: Watcher; change: Change }[] = [];
  private head = 0;
  private scheduled = false;

  /** Starts delivering changes committed from now on among the direct children of `dir`. */
  add(dir: string, listener: (event: WatchEvent) => void): Watcher {
    const watcher: Watcher = { dir, listener, stopped: false };
    let set = this.byDir.get(dir);
    if (!set) {
      set = new Set();
      this.byDir.set(dir, set);
    }
    set.add(watcher);
    return watcher;
  }

  /** No event reaches the watcher after this, not even one already queued. */
  remove(watcher: Watcher): void {
    watcher.stopped = true;
    const set = this.byDir.get(watcher.dir);
    if (!set) return;
    set.delete(watcher);
    if (set.size === 0) this.byDir.delete(watcher.dir);
  }

  /**
   * Queues the changes of one commit. The watchers are chosen now, so a watch that starts after this
   * commit (and has it in its initial listing) does not see it again.
   */
  publish(changes: Change[]): void {
    for (const change of changes) {
      const watchers = this.byDir.get(parentOf(change.key));
      if (!watchers) continue;
      for (const watcher of watchers) this.queue.push({ watcher, change });
    }
    if (!this.scheduled && this.head < this.queue.length) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    // Listeners may write, which appends to the queue: those changes are delivered in this same pass.
    while (this.head < this.queue.length) {
      const { watcher, change } = this.queue[this.head] as { watcher: Watcher; change: Change };
      this.head++;
      if (watcher.stopped) continue;
      change.event ??= toEvent(change);
      const event = change.event;
      try {
        watcher.listener(event);
      } catch (error) {
        log.error({ err: error, dir: watcher.dir, key: change.key }, "watch listener failed");
      }
    }
    this.queue = [];
    this.head = 0;
  }
}

function toEvent(change: Change): WatchEvent {
  const event: WatchEvent =
    change.type === "put"
      ? { type: "put", key: change.key, value: deepFreeze(JSON.parse(change.json)), version: change.version }
      : { type: "delete", key: change.key };
  return Object.freeze(event);
}
