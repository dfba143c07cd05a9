// Committing the scheduler's plan: each pod is written at the version it was read at, with the leader's
// lease as fence, in chunked transactions; a chunk that conflicts is retried pod by pod so that one pod
// changed meanwhile does not hold back the rest.
import { ConflictError, FencedError, NotFoundError } from "../core/errors.js";
import type { Pod } from "../core/types.js";
import { podWriteOps } from "../store/pod-ops.js";
import type { Lease, Store } from "../store/store.js";

/** A pod to write over exactly `version`, at which it was bound to `previousNode` (its assignment moves with it). */
export interface PodWrite {
  id: string;
  version: number;
  previousNode: string | undefined;
  value: Pod;
}

export interface PodWriteOutcome {
  written: string[];
  /** Ids whose write failed (conflict, pod gone, store unavailable): retry them after a fresh read. */
  failed: { id: string; error: unknown }[];
}

export interface CommitOptions {
  /** Pods per transaction. Default 100. */
  chunkSize?: number;
  /** Transactions in flight at once. Default 4. */
  concurrency?: number;
}

/**
 * Writes all of `writes`, each only if its pod is still at the version read. Rejects with FencedError,
 * and stops, as soon as a write shows that the lease is lost.
 */
export async function commitPodWrites(
  store: Store,
  lease: Lease,
  writes: PodWrite[],
  options: CommitOptions = {},
): Promise<PodWriteOutcome> {
  const chunkSize = options.chunkSize ?? 100;
  const outcome: PodWriteOutcome = { written: [], failed: [] };
  const chunks: PodWrite[][] = [];
  for (let i = 0; i < writes.length; i += chunkSize) chunks.push(writes.slice(i, i + chunkSize));

  const commit = (chunk: PodWrite[]) =>
    store.transaction(
      chunk.flatMap((write) => podWriteOps(write.value, write.version, write.previousNode)),
      lease,
    );

  let fenced: FencedError | undefined;
  const commitChunk = async (chunk: PodWrite[]): Promise<void> => {
    try {
      await commit(chunk);
      for (const write of chunk) outcome.written.push(write.id);
      return;
    } catch (error) {
      if (error instanceof FencedError) throw error;
      if (!(error instanceof ConflictError || error instanceof NotFoundError) || chunk.length === 1) {
        for (const write of chunk) outcome.failed.push({ id: write.id, error });
        return;
      }
    }
    // Some pod in the chunk moved on: find out which, and write the others.
    for (const write of chunk) {
      if (fenced) return;
      try {
        await commit([write]);
        outcome.written.push(write.id);
      } catch (error) {
        if (error instanceof FencedError) throw error;
        outcome.failed.push({ id: write.id, error });
      }
    }
  };

  let next = 0;
  const worker = async () => {
    while (!fenced && next < chunks.length) {
      const chunk = chunks[next++] as PodWrite[];
      try {
        await commitChunk(chunk);
      } catch (error) {
        fenced = error as FencedError;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, chunks.length)) }, worker),
  );
  if (fenced) throw fenced;
  return outcome;
}
