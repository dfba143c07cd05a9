// The queue between watch events and reconcile workers, after client-go's workqueue: keys are
// de-duplicated, a key is never handed to two workers at once, and failed keys come back with backoff.
import { type Clock, systemClock } from "../core/clock.js";
import { workQueueDepth } from "../metrics/metrics.js";
import { Backoff, type BackoffOptions } from "./backoff.js";

export interface WorkQueueOptions {
  clock?: Clock;
  /** Backoff of `addRateLimited`. Default 5 ms doubling up to 30 s. */
  backoff?: BackoffOptions;
  /** The control loop's name: its depth is reported as orchestra_workqueue_depth{controller=name} until shut down. */
  name?: string;
}

export class WorkQueue<K = string> {
  private readonly clock: Clock;
  private readonly backoff: Backoff<K>;
  /** Keys waiting for a worker, in order; `head` avoids O(n) shifts. */
  private items: K[] = [];
  private head = 0;
  /** Keys that need processing: queued, or added again while in flight. */
  private readonly dirty = new Set<K>();
  /** Keys handed to a worker and not yet done. */
  private readonly processing = new Set<K>();
  private readonly delayed = new Map<K, { due: number; cancel: () => void }>();
  private waiters: (() => void)[] = [];
  private stopped = false;
  private readonly detachMetrics?: () => void;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.backoff = new Backoff<K>(options.backoff);
    const controller = options.name;
    if (controller !== undefined)
      this.detachMetrics = workQueueDepth.attach(() => [[{ controller }, this.length]]);
  }

  /** Keys waiting for a worker (not counting those in flight or delayed). */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Keys handed out and not yet `done`. */
  get inFlight(): number {
    return this.processing.size;
  }

  get isShutDown(): boolean {
    return this.stopped;
  }

  /** Queues `key` unless it is already queued; a key in flight is queued again once it is done. */
  add(key: K): void {
    if (this.stopped || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.items.push(key);
    this.waiters.shift()?.();
  }

  /** Adds `key` after `ms`; of several pending delays for one key the earliest wins. */
  addAfter(key: K, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.due <= due) return;
    pending?.cancel();
    const cancel = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { due, cancel });
  }

  /** Adds `key` after its backoff delay, which doubles on every call until `forget(key)`. */
  addRateLimited(key: K): void {
    if (this.stopped) return;
    this.addAfter(key, this.backoff.next(key));
  }

  /** The key was processed successfully: reset its backoff. */
  forget(key: K): void {
    this.backoff.forget(key);
  }

  /** How many times `key` was re-added with backoff since it was last forgotten. */
  requeues(key: K): number {
    return this.backoff.attempts(key);
  }

  /** Waits for a key and hands it out; `undefined` once the queue is shut down. Call `done(key)` after. */
  async get(): Promise<K | undefined> {
    const [key] = await this.getBatch(1);
    return key;
  }

  /** Waits for at least one key, then hands out up to `max` of them at once; empty once shut down. */
  async getBatch(max: number): Promise<K[]> {
    for (;;) {
      if (this.stopped) return [];
      if (this.length > 0) return this.take(max);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The worker finished `key`; if it was added meanwhile, it is queued again. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key) && !this.stopped) {
      this.items.push(key);
      this.waiters.shift()?.();
    }
  }

  /** Stops handing out keys (waiting `get`s return `undefined`) and drops queued and delayed keys. */
  shutDown(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.detachMetrics?.();
    for (const { cancel } of this.delayed.values()) cancel();
    this.delayed.clear();
    this.items = [];
    this.head = 0;
    this.dirty.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private take(max: number): K[] {
    const end = Math.min(this.items.length, this.head + Math.max(1, max));
    const keys = this.items.slice(this.head, end);
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    for (const key of keys) {
      this.dirty.delete(key);
      this.processing.add(key);
    }
    // More keys left: let the next waiting worker have them too.
    if (this.length > 0) this.waiters.shift()?.();
    return keys;
  }
}
