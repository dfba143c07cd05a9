// `orchestra config|secret create|update NAME --from-file [KEY=]F | --from-literal KEY=VALUE`: the data of a
// config or secret from files and literals (both repeatable). A secret's data is sent once and never printed:
// the command says only its name, version, keys and size.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { apiClientFor } from "../global-options.js";

interface DataFlags {
  fromFile?: string[];
  fromLiteral?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Key → base64 from `--from-file [KEY=]PATH` (the key defaults to the file's name) and `--from-literal KEY=VALUE`. */
export function dataFromFlags(
  flags: DataFlags,
  readFile: (path: string) => Buffer = (path) => readFileSync(path),
): Record<string, string> {
  const data: Record<string, string> = {};
  const add = (key: string, bytes: Buffer, flag: string) => {
    if (key in data) throw new CliError(`${flag}: key "${key}" is given twice`);
    data[key] = bytes.toString("base64");
  };
  for (const spec of flags.fromFile ?? []) {
    const equals = spec.indexOf("=");
    const path = equals > 0 ? spec.slice(equals + 1) : spec;
    const key = equals > 0 ? spec.slice(0, equals) : basename(path);
    let bytes: Buffer;
    try {
      bytes = readFile(path);
    } catch (err) {
      // The reason only (no content is ever echoed).
      throw new CliError(
        `--from-file: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
    add(key, bytes, "--from-file");
  }
  for (const pair of flags.fromLiteral ?? []) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new CliError("--from-literal: expected KEY=VALUE");
    add(pair.slice(0, equals), Buffer.from(pair.slice(equals + 1)), "--from-literal");
  }
  if (Object.keys(data).length === 0) throw new CliError("give the data with --from-file or --from-literal");
  return data;
}

export function registerData(program: Command, io: CliIo): void {
  for (const kind of ["config", "secret"] as const) {
    const group = program
      .command(kind)
      .description(
        kind === "config"
          ? "create or update configs: files or environment variables for pods"
          : "create or update secrets: files on tmpfs for pods, encrypted at rest, never shown again",
      );
    for (const verb of ["create", "update"] as const) {
      group
        .command(verb)
        .description(
          verb === "create"
            ? `create a ${kind} (fails if it exists)`
            : `replace a ${kind}'s data: a new version, and the deployments that use it roll out`,
        )
        .argument("<name>", `${kind} name (a DNS label)`)
        .option(
          "--from-file <[key=]path>",
          "a key from a file (default key: the file's name; repeatable)",
          collect,
        )
        .option("--from-literal <key=value>", "a key and its value (repeatable)", collect)
        .action(async (name: string, flags: DataFlags, self: Command) => {
          const data = dataFromFlags(flags);
          const client = apiClientFor(self, io);
          const { info } = await client.putData(kind, name, data, verb === "create" ? "0" : "*");
          const rolling = info.usedBy.length > 0 ? `; rolling out ${info.usedBy.join(", ")}` : "";
          io.out(
            `${kind}/${name} ${verb === "create" ? "created" : "updated"} (version ${info.version}, ` +
              `${info.keys.length} key${info.keys.length === 1 ? "" : "s"}, ${info.size} bytes${rolling})\n`,
          );
        });
    }
  }
}
