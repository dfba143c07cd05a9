// Opens the store a process was pointed at. Only entry points pick a concrete Store implementation.
import { ValidationError } from "../core/errors.js";
import { logger } from "../core/logger.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import type { Store } from "../store/store.js";
import { isLoopbackOnly, readZooKeeperAuthFile } from "../store/zookeeper/zookeeper-auth.js";
import { openZooKeeperStore } from "../store/zookeeper/zookeeper-store.js";
import { parseStoreUrl } from "./store-url.js";

export interface OpenedStore {
  store: Store;
  /** Human-readable location for start-up messages. */
  description: string;
  /** Ends the session (ephemeral keys and leaderships go) and releases the backend. */
  close(): Promise<void>;
}

export const ZK_AUTH_FILE_HELP =
  "file holding user:password: authenticate to ZooKeeper (digest) and make every znode readable and writable by that user only";

/** Default ZooKeeper session timeout: the bound within which a dead worker's node disappears. */
export const DEFAULT_SESSION_TIMEOUT_MS = 4000;

export async function openStore(
  url: string,
  options: { sessionTimeoutMs?: number; zkAuthFile?: string } = {},
): Promise<OpenedStore> {
  const location = parseStoreUrl(url);
  if (location.kind === "embedded") {
    if (options.zkAuthFile !== undefined) {
      throw new ValidationError("zk-auth-file", "applies only to a zk:// store");
    }
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
  const auth = options.zkAuthFile === undefined ? undefined : readZooKeeperAuthFile(options.zkAuthFile);
  if (!auth && !isLoopbackOnly(location.connectString)) {
    logger("store").warn(
      { servers: location.connectString },
      "ZooKeeper without --zk-auth-file off this machine: any client that reaches it can read and rewrite the cluster",
    );
  }
  const store = await openZooKeeperStore({
    connectString: location.connectString,
    root: location.root,
    sessionTimeoutMs: options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
    ...(auth ? { auth } : {}),
  });
  return {
    store,
    description: `ZooKeeper ${location.connectString}${location.root}`,
    close: () => store.close(),
  };
}
