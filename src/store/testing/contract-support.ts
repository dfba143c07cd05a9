// Test support shared by contract suites and other tests: wait for a condition with a deadline instead of sleeping.
import { setTimeout as sleep } from "node:timers/promises";
import type { Candidacy, Lease, Store } from "../store.js";

/**
 * Calls `check` until it returns without throwing (assertion style), then returns its result.
 * On timeout, rethrows the last failure with how long it waited, so the test shows what never became true.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) {
        if (error instanceof Error) {
          error.message = `still failing after ${timeoutMs} ms: ${error.message}`;
        }
        throw error;
      }
    }
    await sleep(intervalMs);
  }
}

/**
 * Campaigns as "test" in `election` and waits until elected. `lease()` is the lease while leading, undefined once
 * deposed; resign with `candidacy`.
 */
export async function leadAsTest(
  store: Store,
  election: string,
): Promise<{ lease: () => Lease | undefined; candidacy: Candidacy }> {
  let current: Lease | undefined;
  const candidacy = await store.campaign(election, "test", {
    elected: (granted) => {
      current = granted;
    },
    deposed: () => {
      current = undefined;
    },
  });
  await eventually(() => {
    if (!current) throw new Error(`not elected in ${election}`);
  });
  return { lease: () => current, candidacy };
}

/** How long a contract test waits for a watch event or a leadership change to arrive. */
export const EVENT_WAIT_MS = 5000;
/** How long it waits for what follows a session expiry (a ZooKeeper client learns of it on reconnect). */
export const SESSION_WAIT_MS = 20_000;
/** Upper bound for one contract test, so that a hang fails instead of stalling the run. */
export const TEST_TIMEOUT_MS = 60_000;

/** A predicate for `assert.rejects`: the error is an instance of `type` (and not of `unlessType`) naming `key`. */
export function errorNaming(
  type: abstract new (...args: never[]) => Error,
  key: string,
  unlessType?: abstract new (...args: never[]) => Error,
): (error: unknown) => boolean {
  return (error) => {
    if (!(error instanceof type) || (unlessType && error instanceof unlessType)) {
      throw new Error(`expected a ${type.name} naming ${key}, got ${String(error)}`);
    }
    if (!error.message.includes(key)) {
      throw new Error(`expected the ${type.name} to name ${key}: ${error.message}`);
    }
    return true;
  };
}
