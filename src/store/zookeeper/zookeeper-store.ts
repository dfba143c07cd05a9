// The Store on an Apache ZooKeeper ensemble (distributed mode): one znode per key under a root path, JSON
// values, the znode's data version as the entry's version, ZooKeeper sessions for ephemeral keys.
// Client: node-zookeeper-client, pure JavaScript: installs never compile C (unlike the native `zookeeper`
// package), it runs on Node's one event loop, and it has multi-op transactions (client.transaction()).
import { CreateMode, Exception } from "node-zookeeper-client";
import { type Clock, systemClock } from "../../core/clock.js";
import { ConflictError } from "../../core/errors.js";
import { type Logger, logger } from "../../core/logger.js";
import {
  assertKey,
  assertPage,
  type CampaignHandlers,
  type Candidacy,
  childKey,
  type Entry,
  type Lease,
  type Page,
  type PageRequest,
  parentOf,
  type SessionState,
  type Store,
  type TxOp,
  type Watch,
  type WatchEvent,
} from "../store.js";
import { ChildrenWatch } from "./children-watch.js";
import * as zk from "./client-calls.js";
import { decode, encode, NULL_DATA } from "./znode-data.js";
import { digestId, type ZooKeeperAuth } from "./zookeeper-auth.js";
import { byCandidacy, type ElectionPlace, ZooKeeperCandidacy } from "./zookeeper-candidacy.js";
import { storeError } from "./zookeeper-errors.js";
import { ZooKeeperSession, type ZooKeeperTlsOptions } from "./zookeeper-session.js";
import { commitTransaction } from "./zookeeper-transaction.js";

export interface ZooKeeperStoreOptions {
  /** The ensemble: `host:port,host:port,...`. */
  connectString: string;
  /** The znode under which every key lives; created when missing. Default `/orchestra`. */
  root?: string;
  /** Asked of the servers, which bound it to 2-20 ticks. Default 10 s. */
  sessionTimeoutMs?: number;
  /** How long a call waits for a connection and an answer before UnavailableError. Default: the session timeout. */
  operationTimeoutMs?: number;
  /** Connect over TLS, to the servers' `secureClientPort`. Default: plain TCP. */
  tls?: ZooKeeperTlsOptions;
  /** Authenticate with this digest identity and create every znode with an ACL for it alone. Default: open ACLs. */
  auth?: ZooKeeperAuth;
  clock?: Clock;
}

/** Connects, creates the root if missing, and resolves once the store is usable. */
export async function openZooKeeperStore(options: ZooKeeperStoreOptions): Promise<ZooKeeperStore> {
  const store = new ZooKeeperStore(options);
  try {
    await store.ensureFolder(store.root);
    if (options.auth) await store.warnUnlessRootLocked(digestId(options.auth));
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export class ZooKeeperStore implements Store {
  readonly root: string;
  private readonly session: ZooKeeperSession;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly operationTimeoutMs: number;
  private readonly sessionListeners = new Set<(state: SessionState) => void>();
  private readonly watches = new Set<ChildrenWatch<unknown>>();
  private readonly candidacies = new Set<ZooKeeperCandidacy>();

  /** Prefer openZooKeeperStore(), which also waits for the connection and the root. */
  constructor(options: ZooKeeperStoreOptions) {
    const root = options.root ?? "/orchestra";
    assertKey(root);
    this.root = root;
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.operationTimeoutMs = options.operationTimeoutMs ?? sessionTimeoutMs;
    this.clock = options.clock ?? systemClock;
    this.log = logger("store.zookeeper", { root });
    this.session = new ZooKeeperSession({
      connectString: options.connectString,
      sessionTimeoutMs,
      operationTimeoutMs: this.operationTimeoutMs,
      tls: options.tls,
      auth: options.auth,
      clock: this.clock,
      log: this.log,
    });
    this.session.onState((state, newSession) => this.sessionChanged(state, newSession));
  }

  get sessionState(): SessionState {
    return this.session.state;
  }

  /** The current ZooKeeper session id (`0x...`), as the servers' `dump` and logs print it; "" when not connected. */
  get sessionId(): string {
    return this.session.sessionId;
  }

  async get<T>(key: string): Promise<Entry<T> | undefined> {
    assertKey(key);
    try {
      const { data, stat } = await this.session.run((client) => zk.getData(client, this.path(key)));
      return { key, value: decode(data) as T, version: stat.version };
    } catch (error) {
      if (zk.zkCode(error) === Exception.NO_NODE) return undefined;
      throw storeError(error, key);
    }
  }

  async list<T>(dir: string): Promise<Entry<T>[]> {
    assertKey(dir);
    return this.read<T>(dir, await this.childNames(dir));
  }

  async listPage<T>(dir: string, page: PageRequest): Promise<Page<T>> {
    assertPage(dir, page);
    // ZooKeeper lists a znode's children only whole: the names are cheap, the values are read for the page only.
    const names = await this.childNames(dir);
    const start = page.after === undefined ? 0 : names.findIndex((name) => name > (page.after as string));
    const chosen = start < 0 ? [] : names.slice(start, start + page.limit);
    const more = start >= 0 && start + page.limit < names.length;
    const entries = await this.read<T>(dir, chosen);
    return more ? { entries, next: chosen[chosen.length - 1] } : { entries };
  }

  async count(dir: string): Promise<number> {
    assertKey(dir);
    try {
      const stat = await this.session.run((client) => zk.exists(client, this.path(dir)));
      return stat?.numChildren ?? 0;
    } catch (error) {
      throw storeError(error, dir);
    }
  }

  /** The names of the children of `dir`, sorted (as keys sort); none when `dir` is missing. */
  private async childNames(dir: string): Promise<string[]> {
    try {
      const names = await this.session.run((client) => zk.getChildren(client, this.path(dir)));
      return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    } catch (error) {
      if (zk.zkCode(error) === Exception.NO_NODE) return [];
      throw storeError(error, dir);
    }
  }

  /** The entries of the children `names` (sorted) of `dir`; one deleted meanwhile is left out. */
  private async read<T>(dir: string, names: string[]): Promise<Entry<T>[]> {
    const entries = await Promise.all(names.map((name) => this.get<T>(childKey(dir, name))));
    return entries.filter((e): e is Entry<T> => e !== undefined);
  }

  async create<T>(key: string, value: T, options: { ephemeral?: boolean } = {}): Promise<Entry<T>> {
    assertKey(key);
    const data = encode(value);
    const mode = options.ephemeral ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT;
    const path = this.path(key);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.session.run((client) => zk.create(client, path, data, mode, this.session.acls));
        return { key, value, version: 0 };
      } catch (error) {
        const code = zk.zkCode(error);
        if (code === Exception.NO_NODE && attempt < 3) {
          await this.ensureFolder(parentOf(path));
          continue;
        }
        throw storeError(error, key);
      }
    }
  }

  async set<T>(key: string, value: T, version?: number): Promise<Entry<T>> {
    assertKey(key);
    const data = encode(value);
    const path = this.path(key);
    if (version !== undefined) {
      try {
        const stat = await this.session.run((client) => zk.setData(client, path, data, version));
        return { key, value, version: stat.version };
      } catch (error) {
        // A missing key is at no version: a compare-and-set on it is a conflict, like a stale one.
        if (zk.zkCode(error) === Exception.NO_NODE) {
          throw new ConflictError(`${key} does not exist (expected version ${version})`);
        }
        throw storeError(error, key, version);
      }
    }
    for (;;) {
      try {
        const stat = await this.session.run((client) => zk.setData(client, path, data, -1));
        return { key, value, version: stat.version };
      } catch (error) {
        if (zk.zkCode(error) !== Exception.NO_NODE) throw storeError(error, key);
      }
      try {
        return await this.create(key, value);
      } catch (error) {
        // Someone created it between our two calls: overwrite theirs, as a set without version does.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }

  async delete(key: string, version?: number): Promise<void> {
    assertKey(key);
    const path = this.path(key);
    try {
      await this.session.run((client) => zk.remove(client, path, version ?? -1));
    } catch (error) {
      throw storeError(error, key, version);
    }
  }

  transaction(ops: TxOp[], lease?: Lease): Promise<void> {
    for (const op of ops) assertKey(op.key);
    return commitTransaction(
      {
        session: this.session,
        path: (key) => this.path(key),
        error: (code, key, version) => storeError({ code }, key, version),
        fenced: (fencedLease) => {
          for (const candidacy of this.candidacies) candidacy.fenceFailed(fencedLease);
        },
      },
      ops,
      lease,
    );
  }

  async watch<T>(dir: string, listener: (event: WatchEvent<T>) => void): Promise<Watch<T>> {
    assertKey(dir);
    const watch = new ChildrenWatch<T>(
      this.path(dir),
      (name) => childKey(dir, name),
      decode,
      () => this.session.liveClient(),
      listener,
      this.log,
    );
    const deadline = this.clock.now() + this.operationTimeoutMs;
    for (;;) {
      const client = await this.session.connectedClient(deadline);
      try {
        const initial = await this.session.beforeDeadline(watch.start(client), deadline);
        this.watches.add(watch as ChildrenWatch<unknown>);
        return {
          initial,
          stop: () => {
            watch.stop();
            this.watches.delete(watch as ChildrenWatch<unknown>);
          },
        };
      } catch (error) {
        // A lost connection: start again once connected, within the same deadline.
        if (zk.isConnectionCode(zk.zkCode(error)) && this.clock.now() < deadline) continue;
        watch.stop();
        throw storeError(error, dir);
      }
    }
  }

  onSession(listener: (state: SessionState) => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  async campaign(name: string, candidate: string, handlers: CampaignHandlers): Promise<Candidacy> {
    const key = `/elections/${name}`;
    assertKey(key);
    const path = this.path(key);
    const place: ElectionPlace = { name, key, path, ensureFolder: () => this.ensureFolder(path) };
    const candidacy: ZooKeeperCandidacy = new ZooKeeperCandidacy(
      place,
      candidate,
      handlers,
      this.session,
      this.log,
      () => this.candidacies.delete(candidacy),
    );
    this.candidacies.add(candidacy);
    try {
      await candidacy.join();
    } catch (error) {
      await candidacy.resign().catch(() => undefined);
      throw storeError(error, key);
    }
    return {
      get leading() {
        return candidacy.leading;
      },
      resign: () => candidacy.resign(),
    };
  }

  async leader(name: string): Promise<string | undefined> {
    const key = `/elections/${name}`;
    assertKey(key);
    const path = this.path(key);
    // The lowest node may vanish between the listing and the read: then the next one leads; look again.
    for (;;) {
      try {
        const nodes = byCandidacy(await this.session.run((client) => zk.getChildren(client, path)));
        const first = nodes[0];
        if (!first) return undefined;
        const { data } = await this.session.run((client) => zk.getData(client, `${path}/${first}`));
        return decode(data) as string;
      } catch (error) {
        if (zk.zkCode(error) !== Exception.NO_NODE) throw storeError(error, key);
        const folder = await this.session.run((client) => zk.exists(client, path));
        if (!folder) return undefined;
      }
    }
  }

  async close(): Promise<void> {
    if (this.session.state === "closed") return;
    for (const watch of this.watches) watch.stop();
    this.watches.clear();
    for (const candidacy of this.candidacies) candidacy.abandon();
    this.candidacies.clear();
    await this.session.close();
  }

  /** Creates the znode at `path` and its missing parents, each holding null. */
  async ensureFolder(path: string): Promise<void> {
    if (path === "/") return;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.session.run((client) =>
          zk.create(client, path, NULL_DATA, CreateMode.PERSISTENT, this.session.acls),
        );
        return;
      } catch (error) {
        const code = zk.zkCode(error);
        if (code === Exception.NODE_EXISTS) return;
        if (code !== Exception.NO_NODE || attempt >= 3) throw storeError(error, path);
        await this.ensureFolder(parentOf(path));
      }
    }
  }

  /**
   * A root made before authentication was turned on keeps its open ACL, and so do the znodes under it: say so,
   * since the operator believes the tree is locked. (A snapshot restored into a new root locks it all.)
   */
  async warnUnlessRootLocked(identity: string): Promise<void> {
    // Another identity's root refuses us its ACL: fail at start, not at the first read.
    const acls = await this.session
      .run((client) => zk.getAcl(client, this.root))
      .catch((error: unknown) => Promise.reject(storeError(error, "/")));
    const others = acls.filter((acl) => !(acl.id.scheme === "digest" && acl.id.id === identity));
    if (others.length === 0) return;
    this.log.warn(
      { acl: others.map((acl) => `${acl.id.scheme}:${acl.id.id}`) },
      "the store's root znode admits other identities than --zk-auth-file's (it was created without it): znodes made before stay open; restore a snapshot into a new root to lock them",
    );
  }

  private path(key: string): string {
    if (key === "/") return this.root;
    return this.root === "/" ? key : `${this.root}${key}`;
  }

  private sessionChanged(state: SessionState, newSession: boolean): void {
    // Leaders stop acting before anyone hears of the expiry.
    if (state === "expired") for (const candidacy of this.candidacies) candidacy.sessionExpired();
    for (const listener of [...this.sessionListeners]) {
      try {
        listener(state);
      } catch (error) {
        this.log.error({ err: error }, "session listener failed");
      }
    }
    if (state === "connected") {
      this.log.debug({ newSession, watches: this.watches.size }, "resyncing watches and elections");
      for (const watch of this.watches) watch.resync();
      for (const candidacy of this.candidacies) candidacy.reconnected();
    }
  }
}
