// A Store that times each call and counts its failures (orchestra_store_operation_*): the entry points wrap the
// store they open with it, so every component's reads and writes are measured in one place.
import { ConflictError, FencedError, NotFoundError, UnavailableError } from "../core/errors.js";
import type {
  CampaignHandlers,
  Candidacy,
  Entry,
  Lease,
  Page,
  PageRequest,
  SessionState,
  Store,
  TxOp,
  Watch,
  WatchEvent,
} from "../store/store.js";
import { secondsSince, storeOperationDuration, storeOperationErrors } from "./metrics.js";

export class InstrumentedStore implements Store {
  constructor(private readonly store: Store) {}

  get sessionState(): SessionState {
    return this.store.sessionState;
  }

  get<T>(key: string): Promise<Entry<T> | undefined> {
    return timed("get", () => this.store.get<T>(key));
  }

  list<T>(dir: string): Promise<Entry<T>[]> {
    return timed("list", () => this.store.list<T>(dir));
  }

  listPage<T>(dir: string, page: PageRequest): Promise<Page<T>> {
    return timed("list_page", () => this.store.listPage<T>(dir, page));
  }

  count(dir: string): Promise<number> {
    return timed("count", () => this.store.count(dir));
  }

  create<T>(key: string, value: T, options?: { ephemeral?: boolean }): Promise<Entry<T>> {
    return timed("create", () => this.store.create(key, value, options));
  }

  set<T>(key: string, value: T, version?: number): Promise<Entry<T>> {
    return timed("set", () => this.store.set(key, value, version));
  }

  delete(key: string, version?: number): Promise<void> {
    return timed("delete", () => this.store.delete(key, version));
  }

  transaction(ops: TxOp[], lease?: Lease): Promise<void> {
    return timed("transaction", () => this.store.transaction(ops, lease));
  }

  watch<T>(dir: string, listener: (event: WatchEvent<T>) => void): Promise<Watch<T>> {
    return timed("watch", () => this.store.watch(dir, listener));
  }

  onSession(listener: (state: SessionState) => void): () => void {
    return this.store.onSession(listener);
  }

  campaign(name: string, candidate: string, handlers: CampaignHandlers): Promise<Candidacy> {
    return this.store.campaign(name, candidate, handlers);
  }

  leader(name: string): Promise<string | undefined> {
    return timed("leader", () => this.store.leader(name));
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

async function timed<T>(operation: string, call: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  try {
    return await call();
  } catch (err) {
    storeOperationErrors.inc({ operation, error: errorKind(err) });
    throw err;
  } finally {
    storeOperationDuration.observe({ operation }, secondsSince(startedAt));
  }
}

/** A failure's kind, from a fixed set: conflicts and missing keys are the normal price of optimistic writes. */
export function errorKind(err: unknown): string {
  if (err instanceof FencedError) return "fenced";
  if (err instanceof ConflictError) return "conflict";
  if (err instanceof NotFoundError) return "not_found";
  if (err instanceof UnavailableError) return "unavailable";
  return "other";
}
