// `orchestra snapshot save|restore FILE --store STORE`: a copy of every key of a store, to back it up or to move a
// cluster onto another store (e.g. from embedded:.orchestra to a ZooKeeper ensemble). Talks to the store itself,
// not to an API server: run it with the components stopped.
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { openStore } from "../../cmd/open-store.js";
import type { ZooKeeperFlags } from "../../cmd/zookeeper-access.js";
import { logWarningsOnly } from "../../core/logger.js";
import {
  clearStore,
  persistentTopKeys,
  readAllKeys,
  writeAllKeys,
} from "../../store/snapshot/snapshot-copy.js";
import { decodeSnapshot, encodeSnapshot, SnapshotFormatError } from "../../store/snapshot/snapshot-format.js";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { zookeeperOptions } from "../zookeeper-options.js";

interface SnapshotFlags extends ZooKeeperFlags {
  store: string;
  force?: boolean;
}

function storeOption(): Option {
  return new Option(
    "--store <url>",
    "embedded:DIR or zk://host:port[,host:port...][/root]",
  ).makeOptionMandatory();
}

export function registerSnapshot(program: Command, io: CliIo): void {
  const snapshot = program
    .command("snapshot")
    .description("save a store's keys to a file, or restore them into a store (components stopped)");

  zookeeperOptions(
    snapshot
      .command("save")
      .description("write every key of the store to FILE (mode 0600)")
      .argument("<file>", "snapshot file to write")
      .addOption(storeOption()),
  ).action(async (file: string, flags: SnapshotFlags) => {
    logWarningsOnly();
    const opened = await openStore(flags.store, { zookeeper: flags });
    try {
      const entries = await readAllKeys(opened.store);
      const data = encodeSnapshot(entries, new Date(io.now()));
      // Written aside, then renamed: a failed save never leaves a half file under the name asked for.
      const partial = `${file}.partial`;
      try {
        writeFileSync(partial, data, { mode: 0o600 });
        renameSync(partial, file);
      } catch (error) {
        rmSync(partial, { force: true });
        throw new CliError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
      }
      io.out(`saved ${entries.length} keys of the ${opened.description} to ${file}\n`);
    } finally {
      await opened.close();
    }
  });

  zookeeperOptions(
    snapshot
      .command("restore")
      .description("create the keys of FILE in the store, which must be empty unless --force")
      .argument("<file>", "snapshot file to read")
      .addOption(storeOption()),
  )
    .option("--force", "delete every key the store holds first", false)
    .action(async (file: string, flags: SnapshotFlags) => {
      logWarningsOnly();
      let data: Buffer;
      try {
        data = readFileSync(file);
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
      }
      let snapshot: ReturnType<typeof decodeSnapshot>;
      try {
        snapshot = decodeSnapshot(data, file);
      } catch (error) {
        if (error instanceof SnapshotFormatError) throw new CliError(error.message);
        throw error;
      }
      const opened = await openStore(flags.store, { zookeeper: flags });
      try {
        const present = await persistentTopKeys(opened.store);
        if (present.length > 0 && !flags.force) {
          throw new CliError(
            `the ${opened.description} is not empty (it holds ${present.slice(0, 3).join(", ")}${present.length > 3 ? ", ..." : ""}); restore into an empty store, or pass --force to replace its keys`,
          );
        }
        if (flags.force) await clearStore(opened.store);
        await writeAllKeys(opened.store, snapshot.entries);
        io.out(
          `restored ${snapshot.entries.length} keys (saved ${snapshot.header.createdAt}) into the ${opened.description}\n`,
        );
      } finally {
        await opened.close();
      }
    });
}
