// `orchestra cordon|uncordon NODE`: stop or resume placing new pods on a node; its running pods stay.
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";

export function registerCordon(program: Command, io: CliIo): void {
  for (const cordoned of [true, false]) {
    const verb = cordoned ? "cordon" : "uncordon";
    program
      .command(verb)
      .description(
        cordoned ? "mark a node unschedulable: new pods go elsewhere" : "mark a node schedulable again",
      )
      .argument("<node>", "node name")
      .action(async (node: string, _flags: unknown, self: Command) => {
        const { changed } = await apiClientFor(self, io).setCordon(node, cordoned);
        io.out(`node/${node} ${changed ? "" : "already "}${verb}ed\n`);
      });
  }
}
