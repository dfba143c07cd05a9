// `orchestra label node NODE key=value key-`: set or remove node labels through the API; they outlive the
// worker's registration and placement constraints match them.
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { checkFlagKey } from "../deployment-flags.js";
import { apiClientFor } from "../global-options.js";

/** `k=v` sets, `k-` removes. */
export function parseLabelChanges(words: string[]): Record<string, string | null> {
  const changes: Record<string, string | null> = {};
  for (const word of words) {
    if (word.endsWith("-") && !word.includes("=")) {
      checkFlagKey("label", word.slice(0, -1));
      changes[word.slice(0, -1)] = null;
    } else {
      const equals = word.indexOf("=");
      if (equals <= 0) throw new CliError(`expected key=value or key-, got "${word}"`);
      checkFlagKey("label", word.slice(0, equals));
      changes[word.slice(0, equals)] = word.slice(equals + 1);
    }
  }
  return changes;
}

export function registerLabel(program: Command, io: CliIo): void {
  program
    .command("label")
    .description("set (key=value) or remove (key-) labels of a node")
    .argument("<type>", "node (the only kind labelled this way)")
    .argument("<node>", "node name")
    .argument("<changes...>", "key=value to set, key- to remove")
    .action(async (type: string, node: string, words: string[], _flags: unknown, self: Command) => {
      if (!["node", "nodes", "no"].includes(type.toLowerCase())) {
        throw new CliError(`only nodes can be labelled this way, not "${type}"`);
      }
      await apiClientFor(self, io).labelNode(node, parseLabelChanges(words));
      io.out(`node/${node} labeled\n`);
    });
}
