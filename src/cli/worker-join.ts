// Where a worker finds its store: `--store` (and `--zk-auth-file`) as given, or, with a join token, from the
// API server (POST /join), which hands the store address, credential and CA to node tokens only. The worker's own
// `--zk-tls-*` flags still apply (e.g. its own client certificate), over what the join answer brings.
import { readFileSync } from "node:fs";
import type { JoinedZooKeeperAccess } from "../cmd/zookeeper-access.js";
import { ValidationError } from "../core/errors.js";
import { parseZooKeeperAuth } from "../store/zookeeper/zookeeper-auth.js";
import { ApiClient } from "./api-client.js";
import { CliError } from "./cli-error.js";
import { DEFAULT_SERVER } from "./global-options.js";

export interface WorkerStoreFlags {
  store?: string;
  zkAuthFile?: string;
  joinToken?: string;
  joinTokenFile?: string;
  /** The cluster CA (PEM file) an https API server's certificate must chain to. */
  serverCa?: string;
}

export interface WorkerStore {
  store: string;
  /** What the join answer brought besides the address. */
  joined?: JoinedZooKeeperAccess;
}

/** The join token from `--join-token`, `--join-token-file` or ORCHESTRA_JOIN_TOKEN, in that order. */
export function joinTokenOf(
  flags: WorkerStoreFlags,
  env: Record<string, string | undefined>,
): string | undefined {
  if (flags.joinToken !== undefined) return flags.joinToken.trim();
  if (flags.joinTokenFile !== undefined) {
    try {
      return readFileSync(flags.joinTokenFile, "utf8").trim();
    } catch (error) {
      throw new ValidationError(
        "join-token-file",
        `cannot read ${flags.joinTokenFile}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
  }
  return env.ORCHESTRA_JOIN_TOKEN?.trim() || undefined;
}

/** The store flags as given, or those the API server at `server` answers to the join token. */
export async function workerStore(
  flags: WorkerStoreFlags,
  options: { server?: string; node: string; env: Record<string, string | undefined>; timeoutMs?: number },
): Promise<WorkerStore> {
  const joinToken = joinTokenOf(flags, options.env);
  if (joinToken === undefined) {
    if (flags.store === undefined) {
      throw new CliError("--store: required, or --server URL with --join-token (a node token)");
    }
    return { store: flags.store };
  }
  if (flags.store !== undefined || flags.zkAuthFile !== undefined) {
    throw new CliError(
      `${flags.store !== undefined ? "--store" : "--zk-auth-file"}: not with a join token: the API server says where the store is`,
    );
  }
  if (joinToken === "") throw new CliError("--join-token: is empty");
  const server = options.server ?? (options.env.ORCHESTRA_SERVER || DEFAULT_SERVER);
  let ca: string | undefined;
  if (flags.serverCa !== undefined) {
    try {
      ca = readFileSync(flags.serverCa, "utf8");
    } catch (error) {
      throw new CliError(
        `--server-ca: cannot read ${flags.serverCa} (${(error as NodeJS.ErrnoException).code ?? error})`,
      );
    }
  }
  const client = new ApiClient({
    server,
    token: joinToken,
    timeoutMs: options.timeoutMs,
    ca,
    caSource: ca && "--server-ca",
  });
  let answer: Awaited<ReturnType<ApiClient["join"]>>;
  try {
    answer = await client.join(options.node);
  } catch (error) {
    throw new CliError(`join: ${(error as Error).message}`);
  }
  const tls =
    answer.zkTlsCa === undefined
      ? undefined
      : { ca: answer.zkTlsCa, cert: answer.zkTlsCert, key: answer.zkTlsKey };
  return {
    store: answer.store,
    joined: {
      ...(answer.zkAuth === undefined ? {} : { auth: parseZooKeeperAuth(answer.zkAuth, "the join answer") }),
      ...(tls ? { tls } : {}),
    },
  };
}
