// The flags of every command that opens a ZooKeeper store (`run ...`, `snapshot ...`): its identity and TLS.
// Read by src/cmd/zookeeper-access.ts.
import type { Command } from "commander";

export function zookeeperOptions(command: Command): Command {
  return command
    .option(
      "--zk-auth-file <file>",
      "file holding user:password: authenticate to ZooKeeper (digest) and make every znode readable and writable by that user only",
    )
    .option(
      "--zk-tls-ca <file>",
      "connect to ZooKeeper over TLS (its secureClientPort), trusting this CA (PEM); default plain TCP",
    )
    .option("--zk-tls-cert <file>", "with --zk-tls-ca: client certificate (PEM) for servers that ask for one")
    .option("--zk-tls-key <file>", "the key (PEM) of --zk-tls-cert");
}

/** `run api`: a ZooKeeper client certificate handed to joining workers (POST /join), not the API's own. */
export function joinZooKeeperTlsOptions(command: Command): Command {
  return command
    .option(
      "--join-zk-tls-cert <file>",
      "ZooKeeper client certificate (PEM) handed to joining workers; default none: workers bring their own",
    )
    .option("--join-zk-tls-key <file>", "the key (PEM) of --join-zk-tls-cert, handed out with it");
}
