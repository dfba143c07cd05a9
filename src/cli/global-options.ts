// Options every command takes: which API server to talk to, with which token, how long to wait. Flags win over
// the environment, which wins over the client config file's context, which wins over the defaults.
import type { Command } from "commander";
import { ApiClient } from "./api-client.js";
import { CliError } from "./cli-error.js";
import type { CliIo } from "./cli-io.js";
import { type ResolvedContext, resolveContext } from "./client-config.js";
import { configError, configLocation, readClientConfig } from "./client-config-file.js";

export const DEFAULT_SERVER = "http://127.0.0.1:8080";
const DEFAULT_TIMEOUT_SECONDS = 15;

type GlobalOptions = {
  server?: string;
  token?: string;
  requestTimeout?: string;
  clientConfig?: string;
  context?: string;
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
    )
    .option(
      "--client-config <file>",
      "client config file (env ORCHESTRA_CONFIG, default ~/.orchestra/config when it exists)",
    )
    .option("--context <name>", "the config file's context to use (default: its current-context)");
}

/** The config file's context the flags (else its current-context) name; undefined without a file or context. */
export function selectedContext(command: Command, io: CliIo): ResolvedContext | undefined {
  const options = command.optsWithGlobals<GlobalOptions>();
  const location = configLocation(options.clientConfig, io.env);
  const config = readClientConfig(location);
  if (config === undefined) {
    if (options.context !== undefined) {
      throw new CliError(`--context: there is no config file (looked for ${location.path})`);
    }
    return undefined;
  }
  try {
    return resolveContext(config, options.context);
  } catch (err) {
    throw configError(location.path, err);
  }
}

/** An API client for the server the flags (else the environment, else the config file, else the default) name. */
export function apiClientFor(command: Command, io: CliIo): ApiClient {
  const options = command.optsWithGlobals<GlobalOptions>();
  const context = selectedContext(command, io);
  const server = options.server ?? (io.env.ORCHESTRA_SERVER || context?.server || DEFAULT_SERVER);
  const token = options.token ?? (io.env.ORCHESTRA_TOKEN || context?.token || undefined);
  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  if (options.requestTimeout !== undefined) {
    timeoutSeconds = Number(options.requestTimeout);
    if (!(timeoutSeconds > 0)) {
      throw new CliError(`--request-timeout: expected a number of seconds, got "${options.requestTimeout}"`);
    }
  }
  return new ApiClient({
    server,
    token,
    timeoutMs: timeoutSeconds * 1000,
    ca: context?.ca,
    caSource: context && `the CA of context "${context.name}"`,
  });
}
