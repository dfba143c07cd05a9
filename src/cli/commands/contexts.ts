// `orchestra config use-context|get-contexts|current-context`: the client config file's contexts, as kubectl
// names them. They share the `config` group with `config create|update` (configs for pods, data.ts).
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import type { ClientConfig } from "../client-config.js";
import { configLocation, readClientConfig, writeCurrentContext } from "../client-config-file.js";
import { formatTable } from "../output/table.js";

function loadConfig(self: Command, io: CliIo): { path: string; config: ClientConfig } {
  const location = configLocation(self.optsWithGlobals<{ clientConfig?: string }>().clientConfig, io.env);
  const config = readClientConfig({ ...location, explicit: true });
  // explicit: a missing default file is an error here, where there is nothing else to do.
  return { path: location.path, config: config as ClientConfig };
}

export function registerContexts(program: Command, io: CliIo): void {
  const group = program.commands.find((command) => command.name() === "config") ?? program.command("config");
  group.description(`${group.description() || "configs"}; and the client config file's contexts`);

  group
    .command("get-contexts")
    .description("list the client config file's contexts (* marks the current one)")
    .action((_flags: unknown, self: Command) => {
      const { config } = loadConfig(self, io);
      const rows = [...config.contexts].map(([name, context]) => [
        name === config.currentContext ? "*" : "",
        name,
        config.clusters.get(context.cluster)?.server ?? "",
        context.user ?? "",
      ]);
      io.out(formatTable({ headers: ["CURRENT", "NAME", "SERVER", "USER"], rows }));
    });

  group
    .command("current-context")
    .description("print the client config file's current context")
    .action((_flags: unknown, self: Command) => {
      const { path, config } = loadConfig(self, io);
      if (config.currentContext === undefined)
        throw new CliError(`config file ${path}: current-context: is not set`);
      io.out(`${config.currentContext}\n`);
    });

  group
    .command("use-context")
    .description("make a context of the client config file the current one")
    .argument("<name>", "a context the file names")
    .action((name: string, _flags: unknown, self: Command) => {
      const { path, config } = loadConfig(self, io);
      if (!config.contexts.has(name)) {
        const known = [...config.contexts.keys()].join(", ") || "none";
        throw new CliError(`config file ${path}: no context named "${name}" (it has: ${known})`);
      }
      writeCurrentContext(path, name);
      io.out(`current context is now "${name}" (${path})\n`);
    });
}
