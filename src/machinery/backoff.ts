// Per-key exponential backoff: each failure of a key doubles its next delay, up to a cap; forget() resets it.
import type { Clock } from "../core/clock.js";

export interface BackoffOptions {
  /** Delay after the first failure. Default 5 ms. */
  initialMs?: number;
  /** Longest delay. Default 30 s. */
  maxMs?: number;
  /** Growth per failure. Default 2. */
  factor?: number;
}

export class Backoff<K = string> {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly failures = new Map<K, number>();

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 5;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs) || !(this.factor >= 1)) {
      throw new RangeError("backoff: need initialMs > 0, maxMs >= initialMs, factor >= 1");
    }
  }

  /** Records one more failure of `key` and returns how long to wait before its next attempt. */
  next(key: K): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    // Clamp the exponent so that a key failing for days does not overflow to Infinity/NaN.
    const delay = this.initialMs * this.factor ** Math.min(failures, 64);
    return Math.min(delay, this.maxMs);
  }

  /** Failures recorded for `key` since it was last forgotten. */
  attempts(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** The key succeeded: its next failure starts again from the initial delay. */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /** Calls `fn` after the next delay for `key` on `clock`; returns a function that cancels the call. */
  after(key: K, clock: Clock, fn: () => void): () => void {
    return clock.setTimeout(fn, this.next(key));
  }
}
