// Opens the store a process was pointed at. Only entry points pick a concrete Store implementation.
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import type { Store } from "../store/store.js";
import { openZooKeeperStore } from "../store/zookeeper/zookeeper-store.js";
import { parseStoreUrl } from "./store-url.js";

export interface OpenedStore {
  store: Store;
  /** Human-readable location for start-up messages. */
  description: string;
  /** Ends the session (ephemeral keys and leaderships go) and releases the backend. */
  close(): Promise<void>;
}

/** Default ZooKeeper session timeout: the bound within which a dead worker's node disappears. */
export const DEFAULT_SESSION_TIMEOUT_MS = 4000;

export async function openStore(
  url: string,
  options: { sessionTimeoutMs?: number } = {},
): Promise<OpenedStore> {
  const location = parseStoreUrl(url);
  if (location.kind === "embedded") {
    const backend = EmbeddedBackend.open(location.dir);
    const store = backend.connect();
    return {
      store,
      description: `embedded store in ${location.dir}`,
      async close() {
        await store.close();
        backend.close();
      },
    };
  }
  const store = await openZooKeeperStore({
    connectString: location.connectString,
    root: location.root,
    sessionTimeoutMs: options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
  });
  return {
    store,
    description: `ZooKeeper ${location.connectString}${location.root}`,
    close: () => store.close(),
  };
}
