// The store as the API uses it, with a deadline on every call: a store that hangs (a ZooKeeper ensemble
// without quorum) yields a 503 in bounded time instead of a request that never ends.
import { type Clock, systemClock } from "../core/clock.js";
import { UnavailableError } from "../core/errors.js";
import type { Entry, Lease, Page, PageRequest, Store, TxOp } from "../store/store.js";

/** The store calls the API server makes. */
export type ApiStore = Pick<
  Store,
  "get" | "list" | "listPage" | "count" | "create" | "set" | "delete" | "transaction" | "sessionState"
>;

export const DEFAULT_STORE_TIMEOUT_MS = 5000;

export function withDeadline(
  store: Store,
  timeoutMs = DEFAULT_STORE_TIMEOUT_MS,
  clock: Clock = systemClock,
): ApiStore {
  function bounded<T>(what: string, call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = clock.setTimeout(
        () => reject(new UnavailableError(`the store did not answer ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      // A synchronous throw from the store is turned into a rejection like any other failure.
      Promise.resolve()
        .then(call)
        .then(
          (value) => {
            cancel();
            resolve(value);
          },
          (error: unknown) => {
            cancel();
            reject(error);
          },
        );
    });
  }
  return {
    get sessionState() {
      return store.sessionState;
    },
    get: <T>(key: string) => bounded<Entry<T> | undefined>(`get ${key}`, () => store.get<T>(key)),
    list: <T>(dir: string) => bounded<Entry<T>[]>(`list ${dir}`, () => store.list<T>(dir)),
    listPage: <T>(dir: string, page: PageRequest) =>
      bounded<Page<T>>(`list ${dir}`, () => store.listPage<T>(dir, page)),
    count: (dir: string) => bounded(`count ${dir}`, () => store.count(dir)),
    create: <T>(key: string, value: T, options?: { ephemeral?: boolean }) =>
      bounded(`create ${key}`, () => store.create(key, value, options)),
    set: <T>(key: string, value: T, version?: number) =>
      bounded(`set ${key}`, () => store.set(key, value, version)),
    delete: (key: string, version?: number) => bounded(`delete ${key}`, () => store.delete(key, version)),
    transaction: (ops: TxOp[], lease?: Lease) =>
      bounded(`transaction on ${ops[0]?.key ?? "nothing"}`, () => store.transaction(ops, lease)),
  };
}
