// `orchestra delete NAME...`: delete deployments (their pods go with them); also `delete deployment NAME`.
// `orchestra delete node NAME...` (or node/NAME) removes nodes whose worker is gone, releasing their pod subnets.
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";

const DEPLOYMENT_WORDS = new Set(["deployment", "deployments", "deploy"]);
const NODE_WORDS = new Set(["node", "nodes", "no"]);

export interface DeleteTarget {
  kind: "deployment" | "node";
  name: string;
}

/** `web`, `deployment/web`, `node/n1`, or kubectl's `deployment web` and `node n1` → what to delete. */
export function deleteTargets(words: string[]): DeleteTarget[] {
  const first = words[0] ?? "";
  if (words.length > 1 && DEPLOYMENT_WORDS.has(first)) return words.slice(1).map(deployment);
  if (words.length > 1 && NODE_WORDS.has(first)) {
    return words.slice(1).map((name) => ({ kind: "node", name }));
  }
  return words.map((word) => {
    const slash = word.indexOf("/");
    if (slash === -1) return deployment(word);
    const type = word.slice(0, slash);
    const name = word.slice(slash + 1);
    if (DEPLOYMENT_WORDS.has(type)) return deployment(name);
    if (NODE_WORDS.has(type)) return { kind: "node", name };
    throw new CliError(`cannot delete "${word}": only deployments and nodes can be deleted`);
  });
}

/** The deployment names among `words` (every word, when no node is named). */
export function deploymentNames(words: string[]): string[] {
  return deleteTargets(words).flatMap((target) => (target.kind === "deployment" ? [target.name] : []));
}

function deployment(name: string): DeleteTarget {
  return { kind: "deployment", name };
}

export function registerDelete(program: Command, io: CliIo): void {
  program
    .command("delete")
    .description("delete deployments and their pods, or nodes whose worker is gone (delete node NAME)")
    .argument("<name...>", "deployment names (or deployment/NAME); node NAME... or node/NAME for nodes")
    .action(async (words: string[], _flags: unknown, self: Command) => {
      const client = apiClientFor(self, io);
      // One at a time, stopping at the first failure, so every line printed is a delete that happened.
      for (const target of deleteTargets(words)) {
        if (target.kind === "deployment") {
          await client.deleteDeployment(target.name);
          io.out(`deployment/${target.name} deleted\n`);
        } else {
          const deleted = await client.deleteNode(target.name);
          const released = deleted.podSubnet ? ` (pod subnet ${deleted.podSubnet} released)` : "";
          io.out(`node/${target.name} deleted${released}\n`);
        }
      }
    });
}
