// Helpers for the tests of the patched ZooKeeper client (patches/node-zookeeper-client+1.1.3.patch): a real
// server with fault proxies in front of it, clients that are always closed, and waits that fail with a message
// instead of hanging.
import { after, afterEach, before } from "node:test";
import { type Client, createClient, type Option } from "node-zookeeper-client";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper-server.js";

/**
 * Registers hooks that start one ZooKeeper server for the tests around them, close every client and proxy after
 * each test, and stop the server after the last.
 */
export function useZooKeeper(): { server(): ZooKeeperServer; proxy(): Promise<FaultProxy> } {
  let server: ZooKeeperServer | undefined;
  const proxies: FaultProxy[] = [];
  before(async () => {
    server = await startZooKeeper();
  });
  afterEach(async () => {
    closeClients();
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  after(() => server?.stop());
  const started = () => {
    if (!server) throw new Error("the ZooKeeper server is not started yet");
    return server;
  };
  return {
    server: started,
    async proxy() {
      const proxy = await startFaultProxy(started());
      proxies.push(proxy);
      return proxy;
    },
  };
}

/** Every client made by `newClient`, closed by `closeClients`. */
const clients = new Set<Client>();

/** A client (not yet connecting); `closeClients()` closes it. */
export function newClient(connectString: string, options: Partial<Option> = {}): Client {
  const client = createClient(connectString, {
    sessionTimeout: 2000,
    spinDelay: 100,
    retries: 0,
    ...options,
  });
  clients.add(client);
  return client;
}

/** A connected client; rejects if it does not connect within `timeoutMs`. */
export async function connectedClient(
  connectString: string,
  options: Partial<Option> = {},
  timeoutMs = 10_000,
): Promise<Client> {
  const client = newClient(connectString, options);
  const connected = nextEvent(client, "connected", timeoutMs);
  client.connect();
  await connected;
  return client;
}

/** Resolves with the listener's arguments on the client's next `event`; rejects after `timeoutMs`. */
export function nextEvent(client: Client, event: string, timeoutMs: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener(event, listener);
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    client.once(event, listener);
  });
}

export function closeClients(): void {
  for (const client of clients) client.close();
  clients.clear();
}

/** The session id as ZooKeeper prints it. */
export function sessionOf(client: Client): string {
  return client.getSessionId().toString("hex");
}
