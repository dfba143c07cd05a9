// Where the client config lives and how it is read and written: `--client-config FILE`, else ORCHESTRA_CONFIG, else
// ~/.orchestra/config (which may be absent). A file `orchestra up` writes is a whole config of one context.
import { closeSync, fchmodSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Document, parseDocument } from "yaml";
import { CliError } from "./cli-error.js";
import { type ClientConfig, ConfigFieldError, parseClientConfig } from "./client-config.js";

export interface ConfigLocation {
  path: string;
  /** Named by --client-config or ORCHESTRA_CONFIG: it must exist. The default file may be absent. */
  explicit: boolean;
}

export function configLocation(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): ConfigLocation {
  if (flag !== undefined) return { path: resolve(flag), explicit: true };
  if (env.ORCHESTRA_CONFIG) return { path: resolve(env.ORCHESTRA_CONFIG), explicit: true };
  return { path: join(env.HOME || homedir(), ".orchestra", "config"), explicit: false };
}

/** The config at `location`; undefined when the default file is absent. Errors are one line naming the file. */
export function readClientConfig(location: ConfigLocation): ClientConfig | undefined {
  let source: string;
  try {
    source = readFileSync(location.path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !location.explicit) return undefined;
    throw new CliError(`config file ${location.path}: cannot read it (${code ?? (err as Error).message})`);
  }
  try {
    return parseClientConfig(source, (path) => readFileSync(resolve(dirname(location.path), path), "utf8"));
  } catch (err) {
    throw configError(location.path, err);
  }
}

export function configError(path: string, err: unknown): Error {
  if (err instanceof ConfigFieldError) return new CliError(`config file ${path}: ${err.message}`);
  return err as Error;
}

/** Sets `current-context`, keeping the rest of the file (comments included) as it is. */
export function writeCurrentContext(path: string, name: string): void {
  const document = parseDocument(readFileSync(path, "utf8"));
  document.set("current-context", name);
  writePrivate(path, document.toString());
}

export interface AdminConfig {
  /** The context's name, also that of its cluster. */
  name: string;
  server: string;
  /** The cluster CA (PEM), when the server is verified against one. */
  ca?: string;
  token?: string;
}

/** The text of a config with one context: what `orchestra up` writes to `<data dir>/config.yaml`. */
export function adminConfigText(config: AdminConfig): string {
  const user = `${config.name}-admin`;
  const document = new Document({
    apiVersion: "v1",
    kind: "Config",
    "current-context": config.name,
    clusters: [
      {
        name: config.name,
        cluster: {
          server: config.server,
          ...(config.ca && { "certificate-authority-data": Buffer.from(config.ca).toString("base64") }),
        },
      },
    ],
    users: [{ name: user, user: config.token === undefined ? {} : { token: config.token } }],
    contexts: [{ name: config.name, context: { cluster: config.name, user } }],
  });
  document.commentBefore =
    " Orchestra client config, written by `orchestra up` at each start (edits are overwritten).\n" +
    " Use it with --client-config FILE or ORCHESTRA_CONFIG=FILE, or copy it to ~/.orchestra/config.\n" +
    " It holds an admin token: keep it mode 0600.";
  return document.toString();
}

/** Writes `text` to `path` with mode 0600, through a temporary file so a reader never sees half of it. */
export function writePrivate(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
