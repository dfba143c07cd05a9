// How a process reaches a ZooKeeper store: its digest identity (`--zk-auth-file`) and TLS (`--zk-tls-ca`,
// `--zk-tls-cert`, `--zk-tls-key`), from its own flags or, for a worker that joined, from the API server's answer.
// Every command that opens a store takes the same flags; this file reads them, in one place.
import { ValidationError } from "../core/errors.js";
import {
  isLoopbackOnly,
  readZooKeeperAuthFile,
  type ZooKeeperAuth,
} from "../store/zookeeper/zookeeper-auth.js";
import {
  type PemSource,
  readPemFile,
  type ZooKeeperPemTls,
  type ZooKeeperTlsPem,
  zooKeeperTlsOptions,
} from "../store/zookeeper/zookeeper-tls-files.js";

/** The store flags of every command that opens a store (`run ...`, `snapshot ...`). */
export interface ZooKeeperFlags {
  zkAuthFile?: string;
  zkTlsCa?: string;
  zkTlsCert?: string;
  zkTlsKey?: string;
}

/** What a worker's join brought: the store's identity, and TLS parts in PEM. */
export interface JoinedZooKeeperAccess {
  auth?: ZooKeeperAuth;
  tls?: ZooKeeperTlsPem;
}

export interface ZooKeeperAccess {
  auth?: ZooKeeperAuth;
  tls?: ZooKeeperPemTls;
}

/** `run api --join-zk-tls-cert/--join-zk-tls-key`: a client identity meant for workers. */
export interface JoinZooKeeperTlsFlags {
  joinZkTlsCert?: string;
  joinZkTlsKey?: string;
}

const FLAG_NAMES: Record<keyof ZooKeeperFlags, string> = {
  zkAuthFile: "--zk-auth-file",
  zkTlsCa: "--zk-tls-ca",
  zkTlsCert: "--zk-tls-cert",
  zkTlsKey: "--zk-tls-key",
};

/** The ZooKeeper flags given, by name (`--zk-tls-ca`, ...), in a fixed order. */
export function givenZooKeeperFlags(flags: ZooKeeperFlags): string[] {
  return (Object.keys(FLAG_NAMES) as (keyof ZooKeeperFlags)[])
    .filter((flag) => flags[flag] !== undefined)
    .map((flag) => FLAG_NAMES[flag]);
}

/**
 * The identity and TLS of the connection. The process's own flags come first: its `--zk-tls-ca` over the joined
 * CA, its `--zk-tls-cert`/`--zk-tls-key` pair over a joined pair (a pair is never mixed from both).
 */
export function readZooKeeperAccess(
  flags: ZooKeeperFlags,
  joined: JoinedZooKeeperAccess = {},
): ZooKeeperAccess {
  const auth = flags.zkAuthFile === undefined ? joined.auth : readZooKeeperAuthFile(flags.zkAuthFile);
  const ownPair = flags.zkTlsCert !== undefined || flags.zkTlsKey !== undefined;
  const fromFlag = (flag: "zkTlsCa" | "zkTlsCert" | "zkTlsKey"): PemSource => ({
    field: FLAG_NAMES[flag].slice(2),
    name: FLAG_NAMES[flag],
    ...(flags[flag] === undefined ? {} : { file: flags[flag] }),
  });
  const fromJoin = (part: string): PemSource => ({ field: "join", name: `the join answer's ${part}` });
  const pem: ZooKeeperTlsPem = {
    ca: flags.zkTlsCa === undefined ? joined.tls?.ca : readPemFile(flags.zkTlsCa, "zk-tls-ca"),
    cert: ownPair ? flags.zkTlsCert && readPemFile(flags.zkTlsCert, "zk-tls-cert") : joined.tls?.cert,
    key: ownPair ? flags.zkTlsKey && readPemFile(flags.zkTlsKey, "zk-tls-key", true) : joined.tls?.key,
  };
  const tls = zooKeeperTlsOptions(pem, {
    ca:
      flags.zkTlsCa === undefined && joined.tls?.ca !== undefined ? fromJoin("zkTlsCa") : fromFlag("zkTlsCa"),
    cert: ownPair || joined.tls?.cert === undefined ? fromFlag("zkTlsCert") : fromJoin("zkTlsCert"),
    key: ownPair || joined.tls?.key === undefined ? fromFlag("zkTlsKey") : fromJoin("zkTlsKey"),
  });
  return { ...(auth ? { auth } : {}), ...(tls ? { tls } : {}) };
}

/**
 * The TLS a joining worker is handed: the API's own CA (never its own client certificate), and the client
 * certificate and key given for workers, if any. Undefined when the API's store is not on TLS.
 */
export function joinZooKeeperTls(
  flags: JoinZooKeeperTlsFlags,
  own: ZooKeeperPemTls | undefined,
): ZooKeeperPemTls | undefined {
  const pair = flags.joinZkTlsCert !== undefined || flags.joinZkTlsKey !== undefined;
  if (own === undefined) {
    if (pair) {
      throw new ValidationError(
        flags.joinZkTlsCert !== undefined ? "join-zk-tls-cert" : "join-zk-tls-key",
        "applies only with --zk-tls-ca (a store on TLS)",
      );
    }
    return undefined;
  }
  if (!pair) return { ca: own.ca };
  const source = (field: string, file: string | undefined): PemSource => ({
    field,
    name: `--${field}`,
    ...(file === undefined ? {} : { file }),
  });
  return zooKeeperTlsOptions(
    {
      ca: own.ca,
      cert: flags.joinZkTlsCert && readPemFile(flags.joinZkTlsCert, "join-zk-tls-cert"),
      key: flags.joinZkTlsKey && readPemFile(flags.joinZkTlsKey, "join-zk-tls-key", true),
    },
    {
      ca: source("zk-tls-ca", undefined),
      cert: source("join-zk-tls-cert", flags.joinZkTlsCert),
      key: source("join-zk-tls-key", flags.joinZkTlsKey),
    },
  );
}

/** What a process says at start about a store off this machine that is not locked, or not on TLS. */
export function exposureWarnings(connectString: string, access: ZooKeeperAccess): string[] {
  if (isLoopbackOnly(connectString)) return [];
  return [
    ...(access.auth
      ? []
      : [
          "ZooKeeper without --zk-auth-file off this machine: any client that reaches it can read and rewrite the cluster",
        ]),
    ...(access.tls
      ? []
      : [
          "ZooKeeper without TLS (--zk-tls-ca) off this machine: the cluster's state, secrets and store credential cross the network in clear",
        ]),
  ];
}
