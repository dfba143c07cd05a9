// Runs a reconcile function over keys from a WorkQueue with N workers: success forgets the key's backoff,
// a failure re-queues it with backoff, and a failure that no retry can fix is logged and dropped.
import { type Clock, systemClock } from "../core/clock.js";
import { ConflictError, FencedError, ValidationError } from "../core/errors.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { reconcileDuration, secondsSince } from "../metrics/metrics.js";
import type { BackoffOptions } from "./backoff.js";
import { WorkQueue } from "./work-queue.js";

export interface ReconcilerOptions<K> {
  /** Reads the current state for `key`, computes the desired one and writes the difference. */
  reconcile: (key: K) => Promise<void>;
  /** Parallel workers; one key is never reconciled by two at once. Default 1. */
  workers?: number;
  clock?: Clock;
  logger?: Logger;
  backoff?: BackoffOptions;
  /** A write was fenced: this process no longer leads. The key is dropped; the owner should stop. */
  onFenced?: (err: FencedError) => void;
  /** The loop's name in metrics (queue depth, reconcile time), e.g. `deployments`. Default: not reported. */
  name?: string;
}

export class Reconciler<K = string> {
  readonly queue: WorkQueue<K>;
  private readonly reconcileKey: (key: K) => Promise<void>;
  private readonly workers: number;
  private readonly log: Logger;
  private readonly onFenced?: (err: FencedError) => void;
  private readonly name?: string;
  private loops: Promise<void>[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(options: ReconcilerOptions<K>) {
    this.reconcileKey = options.reconcile;
    this.workers = Math.max(1, options.workers ?? 1);
    this.log = options.logger ?? makeLogger("reconciler");
    this.onFenced = options.onFenced;
    this.name = options.name;
    this.queue = new WorkQueue<K>({
      clock: options.clock ?? systemClock,
      backoff: options.backoff,
      name: options.name,
    });
  }

  /** Starts the worker loops. */
  start(): void {
    if (this.loops.length > 0 || this.queue.isShutDown) return;
    for (let i = 0; i < this.workers; i++) this.loops.push(this.work());
  }

  enqueue(key: K): void {
    this.queue.add(key);
  }

  /** Stops taking keys and waits for the reconciles in flight to finish. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.loops);
    this.wakeIdle();
  }

  /** Resolves when no key is queued or in flight (keys waiting out a backoff do not count). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queue.isShutDown || (this.queue.length === 0 && this.queue.inFlight === 0);
  }

  private async work(): Promise<void> {
    for (;;) {
      const [key] = await this.queue.getBatch(1);
      if (key === undefined) return;
      const startedAt = performance.now();
      let result = "success";
      try {
        await this.reconcileKey(key);
        this.queue.forget(key);
      } catch (err) {
        result = "error";
        this.failed(key, err);
      } finally {
        this.queue.done(key);
        if (this.name !== undefined)
          reconcileDuration.observe({ controller: this.name, result }, secondsSince(startedAt));
      }
      if (this.isIdle()) this.wakeIdle();
    }
  }

  private failed(key: K, err: unknown): void {
    if (err instanceof ValidationError) {
      this.log.error({ key, err }, "reconcile failed for good: dropped");
      this.queue.forget(key);
    } else if (err instanceof FencedError) {
      this.log.warn({ key, err: err.message }, "write fenced: no longer the leader");
      this.queue.forget(key);
      this.onFenced?.(err);
    } else {
      const requeues = this.queue.requeues(key);
      // Conflicts are the normal price of optimistic concurrency; anything else deserves attention.
      const level = err instanceof ConflictError && requeues < 5 ? "debug" : "warn";
      this.log[level]({ key, err, requeues }, "reconcile failed: retrying with backoff");
      this.queue.addRateLimited(key);
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
