// Opens the store a process was pointed at. Only entry points pick a concrete Store implementation.
import { UnavailableError, ValidationError } from "../core/errors.js";
import { logger } from "../core/logger.js";
import { InstrumentedStore } from "../metrics/instrumented-store.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import type { Store } from "../store/store.js";
import { openZooKeeperStore } from "../store/zookeeper/zookeeper-store.js";
import { parseStoreUrl } from "./store-url.js";
import {
  exposureWarnings,
  givenZooKeeperFlags,
  type JoinedZooKeeperAccess,
  readZooKeeperAccess,
  type ZooKeeperFlags,
} from "./zookeeper-access.js";

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
  options: {
    sessionTimeoutMs?: number;
    /** The process's own `--zk-*` flags. */
    zookeeper?: ZooKeeperFlags;
    /** What a worker's join brought (its own flags come first). */
    joined?: JoinedZooKeeperAccess;
  } = {},
): Promise<OpenedStore> {
  const location = parseStoreUrl(url);
  if (location.kind === "embedded") {
    const [given] = givenZooKeeperFlags(options.zookeeper ?? {});
    if (given !== undefined) throw new ValidationError(given.slice(2), "applies only to a zk:// store");
    const backend = EmbeddedBackend.open(location.dir);
    const store = backend.connect();
    return {
      store: new InstrumentedStore(store),
      description: `embedded store in ${location.dir}`,
      async close() {
        await store.close();
        backend.close();
      },
    };
  }
  const { auth, tls } = readZooKeeperAccess(options.zookeeper ?? {}, options.joined);
  for (const warning of exposureWarnings(location.connectString, { auth, tls })) {
    logger("store").warn({ servers: location.connectString }, warning);
  }
  const description = `ZooKeeper ${tls ? "(TLS) " : ""}${location.connectString}${location.root}`;
  let store: Awaited<ReturnType<typeof openZooKeeperStore>>;
  try {
    store = await openZooKeeperStore({
      connectString: location.connectString,
      root: location.root,
      sessionTimeoutMs: options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      ...(auth ? { auth } : {}),
      ...(tls ? { tls } : {}),
    });
  } catch (error) {
    // The client retries quietly: say which store did not answer, and the likeliest cause.
    if (!(error instanceof UnavailableError)) throw error;
    const unanswered = /^(ZooKeeper did not answer|not connected to ZooKeeper)/.test(error.message);
    const hint = !unanswered
      ? ""
      : tls
        ? "; is it its secureClientPort, does its certificate chain to --zk-tls-ca, does it accept --zk-tls-cert?"
        : "; if it serves TLS only (secureClientPort), give --zk-tls-ca (and --zk-tls-cert, --zk-tls-key)";
    throw new UnavailableError(`cannot open the ${description}: ${error.message}${hint}`);
  }
  return {
    store: new InstrumentedStore(store),
    description,
    close: () => store.close(),
  };
}
