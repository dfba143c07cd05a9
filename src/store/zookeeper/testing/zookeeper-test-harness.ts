// A StoreHarness on a real ZooKeeper server for the contract suite and other tests. Each client connects
// through its own TCP proxy, so that expireSession() can cut that one client off past its session timeout.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { startTcpProxy, type TcpProxy } from "../../../../test/support/tcp-proxy.js";
import type { Store } from "../../store.js";
import type { StoreHarness } from "../../testing/contract.js";
import { openZooKeeperStore, type ZooKeeperStore, type ZooKeeperStoreOptions } from "../zookeeper-store.js";

/** The server the clients use: its client address, and a way to ask it which sessions it holds (`dump`). */
export interface HarnessServer {
  readonly host: string;
  readonly port: number;
  fourLetterWord(word: string): Promise<string>;
}

export interface ZooKeeperHarness extends StoreHarness {
  /** The root under which this harness's clients keep their keys (unique per harness). */
  readonly root: string;
  connect(options?: Partial<ZooKeeperStoreOptions>): Promise<ZooKeeperStore>;
  /** The proxy a client goes through, to cut it off in a test of its own. */
  proxyOf(store: Store): TcpProxy;
}

export function createZooKeeperHarness(
  server: HarnessServer,
  defaults: { sessionTimeoutMs?: number; root?: string } = {},
): ZooKeeperHarness {
  const sessionTimeoutMs = defaults.sessionTimeoutMs ?? 2000;
  const root = defaults.root ?? `/test-${randomUUID().slice(0, 8)}`;
  const clients = new Map<Store, TcpProxy>();
  const proxyOf = (store: Store): TcpProxy => {
    const proxy = clients.get(store);
    if (!proxy) throw new Error("this store was not connected by this harness");
    return proxy;
  };

  return {
    root,
    async connect(options = {}) {
      const proxy = await startTcpProxy({ host: server.host, port: server.port });
      try {
        const store = await openZooKeeperStore({
          connectString: proxy.address,
          root,
          sessionTimeoutMs,
          ...options,
        });
        clients.set(store, proxy);
        return store;
      } catch (error) {
        await proxy.close();
        throw error;
      }
    },

    proxyOf,

    async expireSession(store) {
      const proxy = proxyOf(store);
      const sessionId = (store as ZooKeeperStore).sessionId;
      if (!sessionId) throw new Error("expireSession: the store has no live session to expire");
      const expired = new Promise<void>((resolve) => {
        const stop = store.onSession((state) => {
          if (state === "expired") {
            stop();
            resolve();
          }
        });
      });
      proxy.pause();
      try {
        await waitUntilSessionGone(server, sessionId, sessionTimeoutMs * 3 + 5000);
      } finally {
        proxy.resume();
      }
      // The client learns of the expiry when it reconnects and the server turns its old session down.
      await Promise.race([
        expired,
        sleep(sessionTimeoutMs * 3 + 5000).then(() => {
          throw new Error(`expireSession: the store did not report the expiry of ${sessionId}`);
        }),
      ]);
    },

    async teardown() {
      const errors: unknown[] = [];
      for (const [store, proxy] of clients) {
        await store.close().catch((error: unknown) => errors.push(error));
        await proxy.close().catch((error: unknown) => errors.push(error));
      }
      clients.clear();
      if (errors.length > 0) throw errors[0];
    },
  };
}

/** Polls the server's `dump` (its live sessions) until `sessionId` is no longer among them. */
async function waitUntilSessionGone(
  server: HarnessServer,
  sessionId: string,
  timeoutMs: number,
): Promise<void> {
  const pattern = new RegExp(`${sessionId}\\b`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pattern.test(await server.fourLetterWord("dump"))) return;
    await sleep(100);
  }
  throw new Error(`expireSession: the server still holds session ${sessionId} after ${timeoutMs} ms`);
}
