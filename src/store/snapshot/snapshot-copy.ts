// Copies every key of a store out (save) and into another (restore), for backups and for moving a cluster from
// one store to another. Keys that belong to live sessions (node registrations, elections) are not copied: the
// components make them again when they start.
import { ConflictError, NotFoundError } from "../../core/errors.js";
import type { Entry, Store, TxOp } from "../store.js";
import type { SnapshotEntry } from "./snapshot-format.js";

/** Folders whose keys live and die with a component's session; a snapshot leaves them out. */
export const SESSION_FOLDERS: readonly string[] = ["/nodes", "/elections"];

/** Walks tried before a save gives up on a store that keeps changing under it. */
const MAX_WALKS = 5;
/** Ops per restore transaction, and their bytes: well under ZooKeeper's 1 MB request (jute.maxbuffer). */
const BATCH_OPS = 100;
const BATCH_BYTES = 256 * 1024;

/**
 * Every key of `store` with its value, parents before children. Consistent: the store is walked until two walks
 * in a row see the same keys at the same versions (at once, when the components are stopped, as they should be).
 */
export async function readAllKeys(store: Store): Promise<SnapshotEntry[]> {
  let previous = await walk(store);
  for (let attempt = 1; attempt < MAX_WALKS; attempt++) {
    const current = await walk(store);
    if (sameVersions(previous, current)) return current.map(({ key, value }) => ({ key, value }));
    previous = current;
  }
  throw new ConflictError(
    `the store changed during each of ${MAX_WALKS} reads; stop the Orchestra components that use it, then save again`,
  );
}

/** Keys of `store` other than session folders (non-empty means a restore would mix two clusters). */
export async function persistentTopKeys(store: Store): Promise<string[]> {
  return (await store.list("/")).map((e) => e.key).filter((key) => !SESSION_FOLDERS.includes(key));
}

/** Deletes every key of `store`, children first. */
export async function clearStore(store: Store): Promise<number> {
  let deleted = 0;
  const remove = async (dir: string): Promise<void> => {
    for (const entry of await store.list(dir)) {
      await remove(entry.key);
      await store.delete(entry.key).catch((error: unknown) => {
        // Gone already (an ephemeral key whose session ended meanwhile): what we wanted.
        if (!(error instanceof NotFoundError)) throw error;
      });
      deleted++;
    }
  };
  await remove("/");
  return deleted;
}

/** Creates every entry in order (parents first), in transactions of bounded size. */
export async function writeAllKeys(store: Store, entries: readonly SnapshotEntry[]): Promise<void> {
  let batch: TxOp[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entry.key.length + JSON.stringify(entry.value ?? null).length;
    if (batch.length > 0 && (batch.length >= BATCH_OPS || bytes + size > BATCH_BYTES)) {
      await store.transaction(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ op: "create", key: entry.key, value: entry.value ?? null });
    bytes += size;
  }
  if (batch.length > 0) await store.transaction(batch);
}

/** Every key under `dir` in pre-order (each key before its children), leaving out the session folders. */
async function walk(store: Store, dir = "/"): Promise<Entry[]> {
  const children = (await store.list(dir)).filter((e) => !SESSION_FOLDERS.includes(e.key));
  const below = await Promise.all(children.map((child) => walk(store, child.key)));
  return children.flatMap((child, i) => [child, ...(below[i] ?? [])]);
}

function sameVersions(a: Entry[], b: Entry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.key === b[i]?.key && e.version === b[i]?.version);
}
