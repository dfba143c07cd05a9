// The embedded (SQLite) Store: open one EmbeddedBackend per data directory, connect() a client per component.
export { EmbeddedBackend } from "./embedded-backend.js";
export { ELECTIONS_DIR } from "./embedded-candidacy.js";
export { EmbeddedStore } from "./embedded-store.js";
export type { GroupCommitLimits } from "./group-commit.js";
