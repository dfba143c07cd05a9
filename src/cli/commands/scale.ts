// `orchestra scale NAME N`: change only the replicas of a deployment, without undoing a concurrent edit.
import type { Command } from "commander";
import { retryOnConflict } from "../../core/conflict-retry.js";
import { ApiError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { parseReplicas, specOf } from "../deployment-flags.js";
import { apiClientFor } from "../global-options.js";

export function registerScale(program: Command, io: CliIo): void {
  program
    .command("scale")
    .description("set the number of replicas of a deployment")
    .argument("<name>", "deployment name")
    .argument("<replicas>", "new number of replicas, 0 to 1000")
    .action(async (name: string, replicasText: string, _flags: unknown, self: Command) => {
      const replicas = parseReplicas(replicasText);
      const client = apiClientFor(self, io);
      // Read, then write back with If-Match on the generation read: an edit made in between makes the
      // server answer 409 instead of being silently overwritten; then read again and decide again, within
      // the retry policy every compare-and-set of Orchestra follows.
      await retryOnConflict(
        async () => {
          const current = await client.getDeployment(name);
          if (current.replicas === replicas) return;
          await client.putDeployment(
            { ...specOf(current), replicas },
            { ifMatchGeneration: current.generation },
          );
        },
        { isConflict: (error) => error instanceof ApiError && error.status === 409 },
      );
      io.out(`deployment/${name} scaled\n`);
    });
}
