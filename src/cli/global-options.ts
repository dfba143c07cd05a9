// Options every command takes: which API server to talk to, with which token, how long to wait.
import type { Command } from "commander";
import { ApiClient } from "./api-client.js";
import { CliError } from "./cli-error.js";
import type { CliIo } from "./cli-io.js";

export const DEFAULT_SERVER = "http://127.0.0.1:8080";
const DEFAULT_TIMEOUT_SECONDS = 15;

type GlobalOptions = {
  server?: string;
  token?: string;
  requestTimeout?: string;
};

/**
 * Long names only, and few: the program parses its options anywhere on the line, so a short `-s` here
 * would shadow a subcommand's own `-s`. Subcommands read these through `optsWithGlobals()`.
 */
export function addGlobalOptions(program: Command): void {
  program
    .option("--server <url>", `API server URL (env ORCHESTRA_SERVER, default ${DEFAULT_SERVER})`)
    .option("--token <token>", "bearer token for the API server (env ORCHESTRA_TOKEN)")
    .option(
      "--request-timeout <seconds>",
      `how long to wait for each API request (default ${DEFAULT_TIMEOUT_SECONDS})`,
    );
}

/** An API client for the server the flags (else the environment, else the default) name. */
export function apiClientFor(command: Command, io: CliIo): ApiClient {
  const options = command.optsWithGlobals<GlobalOptions>();
  const server = options.server ?? (io.env.ORCHESTRA_SERVER || DEFAULT_SERVER);
  const token = options.token ?? (io.env.ORCHESTRA_TOKEN || undefined);
  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  if (options.requestTimeout !== undefined) {
    timeoutSeconds = Number(options.requestTimeout);
    if (!(timeoutSeconds > 0)) {
      throw new CliError(`--request-timeout: expected a number of seconds, got "${options.requestTimeout}"`);
    }
  }
  return new ApiClient({ server, token, timeoutMs: timeoutSeconds * 1000 });
}
