// The one retry policy for writes that lost a compare-and-set race (client-go's RetryOnConflict): every
// read-modify-write in Orchestra retries through it, whether against the store (store/compare-and-set.ts)
// or over HTTP with If-Match (`orchestra scale`). Each attempt reads again and decides again, so among
// writers racing for one key one wins every round: a few attempts suffice, and the backoff only spreads
// the losers out.
import { type Clock, systemClock } from "./clock.js";
import { ConflictError, FencedError } from "./errors.js";

export interface ConflictRetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the second attempt; it doubles for each further one, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/** 5 attempts, 10, 20, 40 and 80 ms apart: a write gives up after about 150 ms of losing races. */
export const CONFLICT_RETRY: ConflictRetryPolicy = { attempts: 5, initialDelayMs: 10, maxDelayMs: 80 };

export interface ConflictRetryOptions {
  policy?: ConflictRetryPolicy;
  clock?: Clock;
  /** What counts as a lost race. Default: a ConflictError that is not a FencedError (a deposed leader). */
  isConflict?: (error: unknown) => boolean;
  /** The error to give up with once the attempts are spent. Default: the last conflict. */
  exhausted?: (lastConflict: unknown) => Error;
}

/** The waits between the attempts of `policy`. */
export function conflictDelays(policy: ConflictRetryPolicy): number[] {
  return Array.from({ length: Math.max(0, policy.attempts - 1) }, (_, i) =>
    Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** i),
  );
}

export function isStoreConflict(error: unknown): boolean {
  return error instanceof ConflictError && !(error instanceof FencedError);
}

/**
 * Runs `attempt` (1, 2, ...) until it returns, retrying when it throws a conflict, within the policy.
 * `attempt` must read what it depends on afresh each time: a conflict means its last read is stale.
 */
export async function retryOnConflict<T>(
  attempt: (n: number) => Promise<T>,
  options: ConflictRetryOptions = {},
): Promise<T> {
  const policy = options.policy ?? CONFLICT_RETRY;
  const clock = options.clock ?? systemClock;
  const isConflict = options.isConflict ?? isStoreConflict;
  const delays = conflictDelays(policy);
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!isConflict(error)) throw error;
      const delay = delays[n - 1];
      if (delay === undefined) throw options.exhausted ? options.exhausted(error) : error;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
    }
  }
}
