// The store folder's public API: the Store interface and key helpers, where objects live, and the embedded store.
// (The contract suite is imported from ./contract.js by test files only: it pulls in node:test.)

export { EmbeddedBackend, EmbeddedStore } from "./embedded/index.js";
export { keys } from "./keys.js";
export type {
  CampaignHandlers,
  Candidacy,
  Entry,
  Lease,
  SessionState,
  Store,
  TxOp,
  Watch,
  WatchEvent,
} from "./store.js";
export { assertKey, baseName, childKey, parentOf } from "./store.js";
