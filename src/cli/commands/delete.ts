// `orchestra delete NAME... [--purge-volumes]`: delete deployments (their pods go with them; their named volumes
// only with --purge-volumes). Also `delete deployment NAME`, `delete config|secret NAME...` (not in use), and
// `delete node NAME...` (or node/NAME), which removes nodes whose worker is gone, releasing their pod subnets.
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";

type Kind = "deployment" | "node" | "config" | "secret";

const KIND_WORDS = new Map<string, Kind>([
  ["deployment", "deployment"],
  ["deployments", "deployment"],
  ["deploy", "deployment"],
  ["node", "node"],
  ["nodes", "node"],
  ["no", "node"],
  ["config", "config"],
  ["configs", "config"],
  ["secret", "secret"],
  ["secrets", "secret"],
]);

export interface DeleteTarget {
  kind: Kind;
  name: string;
}

/** `web`, `deployment/web`, `node/n1`, or kubectl's `deployment web`, `node n1`, `secret pw` → what to delete. */
export function deleteTargets(words: string[]): DeleteTarget[] {
  const first = KIND_WORDS.get(words[0] ?? "");
  if (words.length > 1 && first) return words.slice(1).map((name) => ({ kind: first, name }));
  return words.map((word) => {
    const slash = word.indexOf("/");
    if (slash === -1) return { kind: "deployment", name: word };
    const kind = KIND_WORDS.get(word.slice(0, slash));
    if (!kind) {
      throw new CliError(
        `cannot delete "${word}": only deployments, nodes, configs and secrets can be deleted`,
      );
    }
    return { kind, name: word.slice(slash + 1) };
  });
}

/** The deployment names among `words` (every word, when no other kind is named). */
export function deploymentNames(words: string[]): string[] {
  return deleteTargets(words).flatMap((target) => (target.kind === "deployment" ? [target.name] : []));
}

export function registerDelete(program: Command, io: CliIo): void {
  program
    .command("delete")
    .description(
      "delete deployments and their pods, configs and secrets not in use, or nodes whose worker is gone",
    )
    .argument("<name...>", "deployment names (or deployment/NAME); node|config|secret NAME... or KIND/NAME")
    .option("--purge-volumes", "also remove the deployments' named volumes and their data")
    .action(async (words: string[], flags: { purgeVolumes?: boolean }, self: Command) => {
      const client = apiClientFor(self, io);
      const targets = deleteTargets(words);
      if (flags.purgeVolumes && targets.some((target) => target.kind !== "deployment")) {
        throw new CliError("--purge-volumes goes with deployments only");
      }
      // One at a time, stopping at the first failure, so every line printed is a delete that happened.
      for (const { kind, name } of targets) {
        if (kind === "deployment") {
          await client.deleteDeployment(name, { purgeVolumes: flags.purgeVolumes });
          io.out(
            `deployment/${name} deleted${flags.purgeVolumes ? " (its volumes are being removed)" : ""}\n`,
          );
        } else if (kind === "node") {
          const deleted = await client.deleteNode(name);
          const released = deleted.podSubnet ? ` (pod subnet ${deleted.podSubnet} released)` : "";
          io.out(`node/${name} deleted${released}\n`);
        } else {
          await client.deleteData(kind, name);
          io.out(`${kind}/${name} deleted\n`);
        }
      }
    });
}
