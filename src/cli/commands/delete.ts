// `orchestra delete NAME... [--purge-volumes]`: delete deployments (their pods go with them; their named volumes
// only with --purge-volumes). Also `delete deployment NAME`, and `delete config|secret NAME...`.
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";

const DEPLOYMENT_WORDS = new Set(["deployment", "deployments", "deploy"]);

/** `web`, `deployment/web`, or kubectl's `deployment web` → deployment names. */
export function deploymentNames(words: string[]): string[] {
  const names = words.length > 1 && DEPLOYMENT_WORDS.has(words[0] ?? "") ? words.slice(1) : words;
  return names.map((word) => {
    const slash = word.indexOf("/");
    if (slash === -1) return word;
    if (!DEPLOYMENT_WORDS.has(word.slice(0, slash))) {
      throw new CliError(`cannot delete "${word}": only deployments can be deleted`);
    }
    return word.slice(slash + 1);
  });
}

const DATA_WORDS = new Map<string, "config" | "secret">([
  ["config", "config"],
  ["configs", "config"],
  ["secret", "secret"],
  ["secrets", "secret"],
]);

export function registerDelete(program: Command, io: CliIo): void {
  program
    .command("delete")
    .description("delete deployments and their pods (or configs and secrets not in use)")
    .argument("<name...>", "deployment names (or deployment/NAME); or config|secret NAME...")
    .option("--purge-volumes", "also remove the deployments' named volumes and their data")
    .action(async (words: string[], flags: { purgeVolumes?: boolean }, self: Command) => {
      const client = apiClientFor(self, io);
      const dataKind = words.length > 1 ? DATA_WORDS.get(words[0] ?? "") : undefined;
      // One at a time, stopping at the first failure, so every line printed is a delete that happened.
      if (dataKind) {
        if (flags.purgeVolumes) throw new CliError("--purge-volumes goes with deployments only");
        for (const name of words.slice(1)) {
          await client.deleteData(dataKind, name);
          io.out(`${dataKind}/${name} deleted\n`);
        }
        return;
      }
      for (const name of deploymentNames(words)) {
        await client.deleteDeployment(name, { purgeVolumes: flags.purgeVolumes });
        io.out(`deployment/${name} deleted${flags.purgeVolumes ? " (its volumes are being removed)" : ""}\n`);
      }
    });
}
