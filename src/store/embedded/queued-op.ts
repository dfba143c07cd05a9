// Write ops as the embedded store queues them for a group commit: copied, with their values serialized when the
// write is issued (a caller may change its object right after), not when the batch commits.
import type { TxOp } from "../store.js";

/** A transaction op, plus `put` (create or overwrite) for the unversioned `Store.set`. */
export type WriteOp = TxOp | { op: "put"; key: string; value: unknown };

/** A queued op: `json` is its value serialized, or `jsonError` why that failed (thrown when the op applies). */
export type QueuedOp = WriteOp & { json?: string; jsonError?: unknown };

export function toJson(key: string, value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`value for ${key} is not JSON (got ${typeof value})`);
  return json;
}

/** Copies the ops with their values serialized now, and counts their bytes for the batch budget. */
export function queue(ops: WriteOp[]): { ops: QueuedOp[]; bytes: number } {
  let bytes = 0;
  const queued = ops.map((op): QueuedOp => {
    if (op === null || typeof op !== "object") return op;
    bytes += typeof op.key === "string" ? op.key.length : 0;
    if (op.op !== "create" && op.op !== "set" && op.op !== "put") return { ...op };
    try {
      const json = toJson(op.key, op.value);
      bytes += json.length;
      return { ...op, json };
    } catch (error) {
      return { ...op, jsonError: error };
    }
  });
  return { ops: queued, bytes };
}

/** The op's serialized value, or the error serializing it gave, thrown where the old code serialized it. */
export function jsonOf(op: QueuedOp): string {
  if (op.json !== undefined) return op.json;
  throw op.jsonError ?? new TypeError(`value for ${op.key} is missing`);
}
