// One Store.watch on ZooKeeper. Its watches fire once, so each notification re-reads (and re-arms) what it
// is about, and the result is diffed against what was last delivered: changes made between a notification
// and the re-read are coalesced, never missed. After a reconnect or a new session, resync() re-reads it all.

import type { Client, Stat } from "node-zookeeper-client";
import { Exception } from "node-zookeeper-client";
import { deepFreeze } from "../../core/deep-freeze.js";
import type { Logger } from "../../core/logger.js";
import type { Entry, WatchEvent } from "../store.js";
import { isConnectionCode, type Watcher, zkCode } from "./client-calls.js";

/** What was last delivered for a child: a re-created node (new czxid) is a delete then a put. */
interface Delivered {
  version: number;
  czxid: string;
}

/** Counts the reads a start() waits for, and fails it on the first error. */
interface StartTracker {
  pending: number;
  settle(error?: unknown): void;
}

/**
 * Every read is made with a callback, and its result is applied inside that callback: ZooKeeper answers a
 * session's requests in order, so applying them in arrival order never lets an older read undo a newer one.
 */
export class ChildrenWatch<T> {
  private readonly delivered = new Map<string, Delivered>();
  /** One watcher function per child, so that the client keeps a single registration per node. */
  private readonly childWatchers = new Map<string, Watcher>();
  /** Until start() resolves, changes are folded into the initial entries instead of being delivered. */
  private initial: Map<string, Entry<T>> | undefined;
  private stopped = false;

  constructor(
    private readonly dirPath: string,
    private readonly keyOf: (name: string) => string,
    private readonly decode: (data: Buffer) => unknown,
    private readonly liveClient: () => Client | undefined,
    private readonly listener: (event: WatchEvent<T>) => void,
    private readonly log: Logger,
  ) {}

  /** Lists and reads the children, arming the watches; resolves with the initial entries, sorted by key. */
  start(client: Client): Promise<Entry<T>[]> {
    this.delivered.clear();
    this.initial = new Map();
    return new Promise((resolve, reject) => {
      let settled = false;
      const tracker: StartTracker = {
        pending: 0,
        settle: (error) => {
          if (settled) return;
          if (error === undefined && tracker.pending > 0) return;
          settled = true;
          const initial = this.initial;
          if (error !== undefined || !initial) {
            reject(error ?? new Error("watch stopped"));
            return;
          }
          this.initial = undefined;
          resolve([...initial.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
        },
      };
      this.relist(client, true, tracker);
    });
  }

  /** Re-reads everything after a reconnect or on a new session, where the old watches may be gone. */
  resync(): void {
    const client = this.liveClient();
    if (client && !this.stopped) this.relist(client, true);
  }

  stop(): void {
    this.stopped = true;
    this.initial = undefined;
  }

  private readonly onChildrenChanged: Watcher = () => {
    const client = this.liveClient();
    if (client && !this.stopped) this.relist(client, false);
  };

  private readonly onDirectoryCreated: Watcher = () => {
    const client = this.liveClient();
    if (client && !this.stopped) this.relist(client, true);
  };

  private watcherFor(name: string): Watcher {
    let watcher = this.childWatchers.get(name);
    if (!watcher) {
      watcher = () => {
        const client = this.liveClient();
        if (client && !this.stopped) this.refresh(client, name);
      };
      this.childWatchers.set(name, watcher);
    }
    return watcher;
  }

  /** Lists the children (re-arming the child watch); reads the new ones, or all of them with `readAll`. */
  private relist(client: Client, readAll: boolean, tracker?: StartTracker): void {
    if (tracker) tracker.pending++;
    client.getChildren(this.dirPath, this.onChildrenChanged, (error, names) => {
      if (this.stopped) return;
      if (error) {
        if (zkCode(error) === Exception.NO_NODE) {
          this.directoryGone(client, tracker);
        } else {
          this.failed(error, tracker);
        }
        return;
      }
      const present = new Set(names);
      for (const name of [...this.delivered.keys()]) {
        if (!present.has(name)) this.gone(name);
      }
      for (const name of names) {
        if (readAll || !this.delivered.has(name)) this.refresh(client, name, tracker);
      }
      this.done(tracker);
    });
  }

  /** The directory does not exist (yet, or any more): everything in it is gone; watch for its creation. */
  private directoryGone(client: Client, tracker?: StartTracker): void {
    for (const name of [...this.delivered.keys()]) this.gone(name);
    client.exists(this.dirPath, this.onDirectoryCreated, (error, stat) => {
      if (this.stopped) return;
      if (error) {
        this.failed(error, tracker);
        return;
      }
      if (stat) {
        this.relist(client, true, tracker);
      }
      this.done(tracker);
    });
  }

  /** Reads one child (re-arming its data watch) and delivers what changed since the last delivery. */
  private refresh(client: Client, name: string, tracker?: StartTracker): void {
    if (tracker) tracker.pending++;
    client.getData(`${this.dirPath}/${name}`, this.watcherFor(name), (error, data, stat) => {
      if (this.stopped) return;
      if (error) {
        if (zkCode(error) === Exception.NO_NODE) {
          this.gone(name);
          this.done(tracker);
        } else {
          this.failed(error, tracker);
        }
        return;
      }
      this.changed(name, data ?? Buffer.alloc(0), stat);
      this.done(tracker);
    });
  }

  private changed(name: string, data: Buffer, stat: Stat): void {
    const czxid = stat.czxid.toString("hex");
    const previous = this.delivered.get(name);
    if (previous && previous.czxid === czxid && previous.version === stat.version) return;
    let value: T;
    try {
      // Frozen: parsed for this watch alone, so readers (the informer) may keep it as it is, without a copy.
      value = deepFreeze(this.decode(data)) as T;
    } catch (error) {
      this.log.warn({ key: this.keyOf(name), err: error }, "skipping a value that is not JSON");
      return;
    }
    if (previous && previous.czxid !== czxid) this.emit({ type: "delete", key: this.keyOf(name) });
    this.delivered.set(name, { version: stat.version, czxid });
    this.emit({ type: "put", key: this.keyOf(name), value, version: stat.version });
  }

  private gone(name: string): void {
    if (!this.delivered.delete(name)) return;
    this.childWatchers.delete(name);
    this.emit({ type: "delete", key: this.keyOf(name) });
  }

  private emit(event: WatchEvent<T>): void {
    if (this.initial) {
      if (event.type === "put")
        this.initial.set(event.key, { key: event.key, value: event.value, version: event.version });
      else this.initial.delete(event.key);
      return;
    }
    try {
      this.listener(event);
    } catch (error) {
      // The listener runs inside the client's socket handler: a throw there would break the connection.
      this.log.error({ key: event.key, err: error }, "watch listener failed");
    }
  }

  private done(tracker?: StartTracker): void {
    if (!tracker) return;
    tracker.pending--;
    tracker.settle();
  }

  private failed(error: unknown, tracker?: StartTracker): void {
    if (tracker) {
      tracker.settle(error);
    } else if (!isConnectionCode(zkCode(error))) {
      // A lost connection is repaired by the resync that follows the reconnect.
      this.log.warn({ dir: this.dirPath, err: error }, "watch read failed");
    }
  }
}
