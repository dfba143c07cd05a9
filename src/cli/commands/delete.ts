// `orchestra delete NAME...`: delete deployments (their pods go with them). Also `delete deployment NAME`.
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

export function registerDelete(program: Command, io: CliIo): void {
  program
    .command("delete")
    .description("delete deployments and their pods")
    .argument("<name...>", "deployment names (or deployment/NAME)")
    .action(async (words: string[], _flags: unknown, self: Command) => {
      const client = apiClientFor(self, io);
      // One at a time, stopping at the first failure, so every line printed is a delete that happened.
      for (const name of deploymentNames(words)) {
        await client.deleteDeployment(name);
        io.out(`deployment/${name} deleted\n`);
      }
    });
}
