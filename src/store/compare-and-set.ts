// Read-modify-write of one key, the way every writer in Orchestra changes an object another may change too:
// read the key, let a pure function decide, write over exactly the version read (fenced by the leader's lease
// when given), and on a lost race read again and decide again, within the one retry policy
// (core/conflict-retry.ts). A pod's write carries its assignment ops: `compareAndSetPod`.
import { type ConflictRetryOptions, isStoreConflict, retryOnConflict } from "../core/conflict-retry.js";
import { NotFoundError } from "../core/errors.js";
import type { Pod } from "../core/types.js";
import { keys } from "./keys.js";
import { podCreateOps, podDeleteOps, podWriteOps } from "./pod-ops.js";
import type { Entry, Lease, Store, TxOp } from "./store.js";

/** A change function's answer when the key is fine as it is: nothing is written. */
export const NO_CHANGE: unique symbol = Symbol("no change");
/** A change function's answer when the key is to go. */
export const DELETE: unique symbol = Symbol("delete");

/** The new value, NO_CHANGE or DELETE. */
export type Decision<T> = T | typeof NO_CHANGE | typeof DELETE;

/**
 * Decides on the key as read (undefined: it does not exist) and on `context`, when asked for. Pure: it runs
 * again on every attempt. It may throw (a typed error such as a failed precondition), which ends the update.
 */
export type Change<T, C> = (current: Entry<T> | undefined, context: C) => Decision<T>;

/** What the update did. */
export interface CasResult<T> {
  /** The key as last read, which the decision was made on. */
  before: Entry<T> | undefined;
  /** The key as it is now: as written, or as read when nothing was written; undefined once deleted. */
  after: Entry<T> | undefined;
  written: boolean;
}

/** The store calls an update makes (the API's deadline-bounded store has them too). */
export type CasStore = Pick<Store, "get" | "create" | "set" | "delete" | "transaction">;

export interface CasOptions<T, C> extends Omit<ConflictRetryOptions, "isConflict"> {
  /** A leader's lease: the write is fenced by it, and a deposed leader's write fails with FencedError. */
  lease?: Lease;
  /** The entry as last read or written: the first attempt decides on it instead of reading (a conflict re-reads). */
  known?: Entry<T>;
  /** Other state the decision depends on, read again on every attempt (e.g. a deployment's revision history). */
  context?: () => Promise<C>;
  /**
   * The ops that write a decision over `before` (default: create, set or delete the key at the version read,
   * `keyOps`), given the context it was decided on: other keys written in the same transaction go here.
   */
  ops?: (key: string, decision: T | typeof DELETE, before: Entry<T> | undefined, context: C) => TxOp[];
}

/**
 * Reads `key`, applies `change` and writes the result over the version read, retrying on conflict. A write
 * that finds the key gone (NotFoundError) is a lost race too: the next attempt decides on its absence.
 */
export async function compareAndSet<T, C = undefined>(
  store: CasStore,
  key: string,
  change: Change<T, C>,
  options: CasOptions<T, C> = {},
): Promise<CasResult<T>> {
  let known = options.known;
  return retryOnConflict(
    async () => {
      const [before, context] = await Promise.all([
        known ?? store.get<T>(key),
        options.context?.() as Promise<C>,
      ]);
      known = undefined;
      const decision = change(before, context);
      if (decision === NO_CHANGE || (decision === DELETE && !before))
        return { before, after: before, written: false };
      try {
        const after = await write(store, key, decision, before, context, options);
        return { before, after, written: true };
      } catch (error) {
        // Only the write's conflicts are races: one the change throws (say, a failed If-Match) is its answer.
        throw isStoreConflict(error) || error instanceof NotFoundError ? new LostRace(error) : error;
      }
    },
    {
      ...options,
      isConflict: (error) => error instanceof LostRace,
      exhausted: (error) => {
        const conflict = (error as LostRace).conflict;
        return options.exhausted?.(conflict) ?? (conflict as Error);
      },
    },
  );
}

/** Writes `decision` over `before` at its version: a transaction when fenced or with ops of its own. */
async function write<T, C>(
  store: CasStore,
  key: string,
  decision: T | typeof DELETE,
  before: Entry<T> | undefined,
  context: C,
  options: CasOptions<T, C>,
): Promise<Entry<T> | undefined> {
  if (options.lease || options.ops) {
    await store.transaction((options.ops ?? keyOps)(key, decision, before, context), options.lease);
    return decision === DELETE
      ? undefined
      : { key, value: decision, version: before ? before.version + 1 : 0 };
  }
  if (decision === DELETE) {
    await store.delete(key, before?.version);
    return undefined;
  }
  return before ? store.set(key, decision, before.version) : store.create(key, decision);
}

/** A write that lost the race for the key: the update reads again. */
class LostRace extends Error {
  constructor(readonly conflict: unknown) {
    super("lost the race for the key");
  }
}

/** `compareAndSet` of pod `podId`: the write moves, creates or deletes the pod's assignment with it. */
export function compareAndSetPod<C = undefined>(
  store: CasStore,
  podId: string,
  change: Change<Pod, C>,
  options: Omit<CasOptions<Pod, C>, "ops"> = {},
): Promise<CasResult<Pod>> {
  return compareAndSet(store, keys.pod(podId), change, { ...options, ops: podOps });
}

/** The ops that write `decision` over `before`: a create, a set or a delete at the version read. */
export function keyOps<T>(key: string, decision: T | typeof DELETE, before: Entry<T> | undefined): TxOp[] {
  if (decision === DELETE) return [{ op: "delete", key, version: before?.version }];
  if (!before) return [{ op: "create", key, value: decision }];
  return [{ op: "set", key, value: decision, version: before.version }];
}

function podOps(_key: string, decision: Pod | typeof DELETE, before: Entry<Pod> | undefined): TxOp[] {
  if (decision === DELETE) return before ? podDeleteOps(before.value, before.version) : [];
  if (!before) return podCreateOps(decision);
  return podWriteOps(decision, before.version, before.value.node);
}
