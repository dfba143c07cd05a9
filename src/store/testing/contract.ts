// The Store contract suite: every Store implementation runs these same tests against a real backend.
// One harness (one backing store) per suite; each test works under its own key prefix and closes its clients.
import { after, afterEach, before, beforeEach, describe } from "node:test";
import type { Store } from "../store.js";
import { dataTests } from "./contract/data-tests.js";
import { pageTests } from "./contract/page-tests.js";
import { sessionTests } from "./contract/session-tests.js";
import { watchTests } from "./contract/watch-tests.js";

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

/** What each contract test gets: clients that are closed after it, and a key prefix of its own. */
export interface ContractContext {
  /** A new client on the harness's store; closed after the test. */
  connect(): Promise<Store>;
  expireSession(store: Store): Promise<void>;
  /** This test's key prefix, e.g. `/contract-7-k3x9`: no other test writes under it. */
  readonly ns: string;
  /** This test's election-name prefix (a key segment), e.g. `e7-k3x9`. */
  readonly election: string;
}

/** Registers the contract tests (node:test) for one implementation. */
export function storeContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(name, () => {
    let harness: StoreHarness | undefined;
    let clients: Store[] = [];
    let testNumber = 0;
    let ns = "";
    let election = "";

    const context: ContractContext = {
      async connect() {
        if (!harness) throw new Error("the harness did not start");
        const client = await harness.connect();
        clients.push(client);
        return client;
      },
      async expireSession(store) {
        if (!harness) throw new Error("the harness did not start");
        await harness.expireSession(store);
      },
      get ns() {
        return ns;
      },
      get election() {
        return election;
      },
    };

    before(async () => {
      harness = await makeHarness();
    });
    after(async () => {
      await harness?.teardown();
    });
    beforeEach(() => {
      testNumber++;
      const tag = Math.random().toString(36).slice(2, 6);
      ns = `/contract-${testNumber}-${tag}`;
      election = `e${testNumber}-${tag}`;
    });
    afterEach(async () => {
      const closing = clients;
      clients = [];
      await Promise.allSettled(closing.map((client) => client.close()));
    });

    describe("CRUD and versions", () => dataTests(context));
    describe("pages and counts", () => pageTests(context));
    describe("watches", () => watchTests(context));
    describe("sessions, ephemeral keys and leader election", () => sessionTests(context));
  });
}
