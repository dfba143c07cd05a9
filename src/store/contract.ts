// The Store contract suite: every Store implementation runs these same tests against a real backend.
import type { Store } from "./store.js";

export interface StoreHarness {
  /** A new client, with its own session, on the shared backing store. */
  connect(): Promise<Store>;
  /**
   * End a client's session from the outside, as a crash or a long partition would, without the client
   * calling close(): its ephemeral keys vanish and it loses its leaderships. The client object stays
   * usable and opens a new session by itself.
   */
  expireSession(store: Store): Promise<void>;
  /** Remove everything the harness started (servers, folders, clients). */
  teardown(): Promise<void>;
}

/** Registers the contract tests (node:test) for one implementation. */
export function storeContract(_name: string, _makeHarness: () => Promise<StoreHarness>): void {
  // Filled in with the embedded store.
}
