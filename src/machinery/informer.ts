// List + watch of one store directory into an in-memory cache, with add/update/delete handlers, a
// periodic re-list as a safety net, and a fresh watch after the store session expires.
import { type Clock, systemClock } from "../core/clock.js";
import { deepFreeze } from "../core/deep-freeze.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { baseName, type Entry, parentOf, type Store, type Watch, type WatchEvent } from "../store/store.js";
import { Backoff } from "./backoff.js";

/** Handlers receive the child's name (`web` for `/deployments/web`) and frozen values. */
export interface InformerHandlers<T> {
  onAdd?(name: string, value: T): void;
  onUpdate?(name: string, oldValue: T, newValue: T): void;
  onDelete?(name: string, oldValue: T): void;
  /** After every re-list (periodic, explicit, or a new watch): level-triggered users re-queue everything. */
  onResync?(): void;
}

export interface InformerOptions<T> {
  clock?: Clock;
  /** Period of the safety-net re-list; 0 turns it off. Default 30 s. */
  resyncMs?: number;
  logger?: Logger;
  /** A secondary index (e.g. pod → deployment) readable with `byIndex`. */
  index?: (value: T) => string | undefined;
}

export class Informer<T> {
  private readonly cache = new Map<string, Readonly<Entry<T>>>();
  private readonly indexed = new Map<string, Set<string>>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private readonly clock: Clock;
  private readonly resyncMs: number;
  private readonly log: Logger;
  private readonly indexOf?: (value: T) => string | undefined;
  private readonly retry = new Backoff<string>({ initialMs: 100, maxMs: 10_000 });
  private running = false;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private watch?: Watch<T>;
  /** Bumped by every (re)start of the watch, so that events of an abandoned watch are ignored. */
  private generation = 0;
  /** Names changed by watch events while a re-list is in flight: the listing is older for them. */
  private touched?: Set<string>;
  private cancelTimer?: () => void;
  private cancelRetry?: () => void;
  private stopSessionListener?: () => void;
  private sessionExpired = false;

  constructor(
    private readonly store: Store,
    readonly dir: string,
    options: InformerOptions<T> = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.resyncMs = options.resyncMs ?? 30_000;
    this.log = (options.logger ?? makeLogger("informer")).child({ dir });
    this.indexOf = options.index;
  }

  /**
   * Adds handlers; returns a function that removes them. Handlers added to an informer that already holds
   * entries (one shared by several components, see SharedInformers) get an `onAdd` for each of them first,
   * as if they had been there from the start.
   */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    this.handlers.add(handlers);
    for (const [name, entry] of this.cache) this.safely(name, () => handlers.onAdd?.(name, entry.value));
    return () => this.handlers.delete(handlers);
  }

  /** True once the cache holds a complete listing. */
  get hasSynced(): boolean {
    return this.synced;
  }

  get size(): number {
    return this.cache.size;
  }

  /** Starts list + watch; resolves once the cache is synced (retrying while the store is unavailable). */
  async start(): Promise<void> {
    if (!this.running) {
      this.running = true;
      this.stopSessionListener = this.store.onSession((state) => this.onSession(state));
      void this.startWatch();
      this.scheduleResync();
    }
    await this.waitForSync();
  }

  /** Resolves when the cache is synced, or at once if the informer is stopped. */
  waitForSync(): Promise<void> {
    if (this.synced || !this.running) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Stops watching. The cache keeps its last contents. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    this.cancelTimer?.();
    this.stopSessionListener?.();
    this.stopWatch();
    this.wakeSyncWaiters();
  }

  /** The cached value of child `name`, frozen. */
  get(name: string): T | undefined {
    return this.cache.get(name)?.value;
  }

  /** The cached entry (value and store version) of child `name`, frozen. */
  entry(name: string): Readonly<Entry<T>> | undefined {
    return this.cache.get(name);
  }

  /** Every cached value, frozen. */
  list(): T[] {
    return [...this.cache.values()].map((entry) => entry.value);
  }

  /** Every cached entry, frozen. */
  entries(): Readonly<Entry<T>>[] {
    return [...this.cache.values()];
  }

  names(): string[] {
    return [...this.cache.keys()];
  }

  /** Entries whose `index` function returned `value`. */
  byIndex(value: string): Readonly<Entry<T>>[] {
    const names = this.indexed.get(value);
    if (!names) return [];
    const out: Readonly<Entry<T>>[] = [];
    for (const name of names) {
      const entry = this.cache.get(name);
      if (entry) out.push(entry);
    }
    return out;
  }

  /** Re-lists the directory and emits the differences with the cache, then `onResync`. */
  async resync(): Promise<void> {
    if (!this.running || !this.synced || this.touched) return;
    const touched = new Set<string>();
    this.touched = touched;
    const generation = this.generation;
    let listed: Entry<T>[];
    try {
      listed = await this.store.list<T>(this.dir);
    } catch (err) {
      this.log.warn({ err }, "resync: list failed");
      return;
    } finally {
      this.touched = undefined;
    }
    // A watch (re)started meanwhile brought a listing at least as new as ours.
    if (!this.running || generation !== this.generation) return;
    this.replaceAll(listed, touched);
    this.emitResync();
  }

  private async startWatch(): Promise<void> {
    const generation = ++this.generation;
    // Events may arrive before `initial` is applied; hold them back so that they land on top of it.
    let buffered: WatchEvent<T>[] | undefined = [];
    const listener = (event: WatchEvent<T>) => {
      if (generation !== this.generation) return;
      if (buffered) buffered.push(event);
      else this.apply(event);
    };
    let watch: Watch<T>;
    try {
      watch = await this.store.watch<T>(this.dir, listener);
    } catch (err) {
      if (generation !== this.generation) return;
      const delay = this.retry.next("watch");
      this.log.warn({ err, retryInMs: delay }, "watch failed");
      const cancel = this.clock.setTimeout(() => {
        if (generation === this.generation) void this.startWatch();
      }, delay);
      this.cancelRetry?.();
      this.cancelRetry = cancel;
      return;
    }
    if (generation !== this.generation) {
      watch.stop();
      return;
    }
    this.retry.forget("watch");
    this.watch = watch;
    this.replaceAll(watch.initial, this.touched ?? new Set());
    const pending = buffered;
    buffered = undefined;
    for (const event of pending) this.apply(event);
    if (!this.synced) {
      this.synced = true;
      this.wakeSyncWaiters();
    } else {
      this.emitResync();
    }
    this.log.debug({ entries: this.cache.size }, "watching");
  }

  private stopWatch(): void {
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    try {
      this.watch?.stop();
    } catch (err) {
      this.log.debug({ err }, "stopping the old watch failed");
    }
    this.watch = undefined;
  }

  private onSession(state: string): void {
    if (!this.running) return;
    if (state === "expired") {
      this.sessionExpired = true;
    } else if (state === "connected" && this.sessionExpired) {
      // A new session: watches of the old one may be gone. Watch again and diff against the cache.
      this.sessionExpired = false;
      this.log.info("session renewed: watching again");
      this.stopWatch();
      void this.startWatch();
    }
  }

  private scheduleResync(): void {
    if (this.resyncMs <= 0 || !this.running) return;
    this.cancelTimer = this.clock.setTimeout(() => {
      void this.resync().finally(() => this.scheduleResync());
    }, this.resyncMs);
  }

  private apply(event: WatchEvent<T>): void {
    if (parentOf(event.key) !== this.dir) return;
    const name = baseName(event.key);
    this.touched?.add(name);
    if (event.type === "put")
      this.upsert(name, { key: event.key, value: event.value, version: event.version });
    else this.remove(name);
  }

  /** Makes the cache equal to `listed`, except for names in `skip` (changed since the listing was taken). */
  private replaceAll(listed: Entry<T>[], skip: Set<string>): void {
    const seen = new Set<string>();
    for (const entry of listed) {
      if (parentOf(entry.key) !== this.dir) continue;
      const name = baseName(entry.key);
      seen.add(name);
      if (!skip.has(name)) this.upsert(name, entry);
    }
    for (const name of [...this.cache.keys()]) {
      if (!seen.has(name) && !skip.has(name)) this.remove(name);
    }
  }

  private upsert(name: string, entry: Entry<T>): void {
    const old = this.cache.get(name);
    // A repeated event (or an unchanged listing) is not a change. Versions restart at 0 when a key is
    // deleted and re-created, so equal versions are compared by content.
    if (old && old.version === entry.version && JSON.stringify(old.value) === JSON.stringify(entry.value))
      return;
    // A value the store already froze is shared by every watcher as it is; any other is copied first, so
    // that freezing it cannot surprise whoever else holds it.
    const value = Object.isFrozen(entry.value) ? entry.value : deepFreeze(structuredClone(entry.value));
    const frozen = Object.freeze({ key: entry.key, value, version: entry.version });
    this.cache.set(name, frozen);
    this.reindex(name, old?.value, frozen.value);
    for (const handlers of this.handlers) {
      this.safely(name, () => {
        if (old) handlers.onUpdate?.(name, old.value, frozen.value);
        else handlers.onAdd?.(name, frozen.value);
      });
    }
  }

  private remove(name: string): void {
    const old = this.cache.get(name);
    if (!old) return;
    this.cache.delete(name);
    this.reindex(name, old.value, undefined);
    for (const handlers of this.handlers) this.safely(name, () => handlers.onDelete?.(name, old.value));
  }

  private reindex(name: string, oldValue: T | undefined, newValue: T | undefined): void {
    if (!this.indexOf) return;
    const before = oldValue === undefined ? undefined : this.indexOf(oldValue);
    const after = newValue === undefined ? undefined : this.indexOf(newValue);
    if (before === after) return;
    if (before !== undefined) {
      const names = this.indexed.get(before);
      names?.delete(name);
      if (names?.size === 0) this.indexed.delete(before);
    }
    if (after !== undefined) {
      let names = this.indexed.get(after);
      if (!names) {
        names = new Set();
        this.indexed.set(after, names);
      }
      names.add(name);
    }
  }

  private emitResync(): void {
    for (const handlers of this.handlers) this.safely("", () => handlers.onResync?.());
  }

  private safely(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, name }, "informer handler failed");
    }
  }

  private wakeSyncWaiters(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const wake of waiters) wake();
  }
}
