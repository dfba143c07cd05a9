// A Store whose every call gets the same answer: a rejection (a store that is down) or none at all (a hung
// one). For tests of what the API does without a store, and for building the API where none is needed.
import type { Store } from "../../src/store/store.js";

export function unreachableStore(answer: () => Promise<never>, sessionState: Store["sessionState"]): Store {
  return {
    sessionState,
    get: answer,
    list: answer,
    listPage: answer,
    count: answer,
    create: answer,
    set: answer,
    delete: answer,
    transaction: answer,
    watch: answer,
    campaign: answer,
    leader: answer,
    onSession: () => () => {},
    close: async () => {},
  };
}
