// The client config file, in kubeconfig's manner: named clusters (server URL, CA), users (token) and contexts
// that pair them, plus the current context. Pure: text in, checked values out; every error names the field.
import { parse } from "yaml";

export interface ClusterEntry {
  server: string;
  /** PEM text, from `certificate-authority-data` (base64) or read from `certificate-authority` (a file). */
  certificateAuthority?: string;
  /** The file `certificate-authority` names, resolved against the config file's folder. */
  certificateAuthorityFile?: string;
}

export interface ContextEntry {
  cluster: string;
  user?: string;
}

export interface ClientConfig {
  currentContext?: string;
  clusters: Map<string, ClusterEntry>;
  users: Map<string, { token?: string }>;
  contexts: Map<string, ContextEntry>;
}

/** What one context resolves to. */
export interface ResolvedContext {
  name: string;
  server: string;
  ca?: string;
  caFile?: string;
  token?: string;
}

/** An error in the file: `field` is a path such as `contexts[0].context.cluster`. */
export class ConfigFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

type Fields = Record<string, unknown>;

/** A field's path; the file's top level is "". */
const join = (field: string, key: string) => (field === "" ? key : `${field}.${key}`);

function object(value: unknown, field: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigFieldError(field, "must be a mapping");
  }
  return value as Fields;
}

function text(fields: Fields, key: string, field: string, required: boolean): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) {
    if (required) throw new ConfigFieldError(join(field, key), "is missing");
    return undefined;
  }
  if (typeof value !== "string" || value === "") {
    throw new ConfigFieldError(join(field, key), "must be a non-empty string");
  }
  return value;
}

/** `key` as a list of `{name, <entry>: {...}}`, by name; duplicate names are an error. */
function namedList<T>(
  root: Fields,
  key: string,
  entry: string,
  read: (fields: Fields, field: string) => T,
): Map<string, T> {
  const found = new Map<string, T>();
  const value = root[key];
  if (value === undefined || value === null) return found;
  if (!Array.isArray(value)) throw new ConfigFieldError(key, "must be a list");
  value.forEach((item, i) => {
    const field = `${key}[${i}]`;
    const fields = object(item, field);
    const name = text(fields, "name", field, true) as string;
    if (found.has(name)) throw new ConfigFieldError(`${field}.name`, `"${name}" is given twice`);
    found.set(name, read(object(fields[entry], `${field}.${entry}`), `${field}.${entry}`));
  });
  return found;
}

/** Parses the file's text; `readFile` reads a `certificate-authority` file (a path relative to the config's folder). */
export function parseClientConfig(source: string, readFile: (path: string) => string): ClientConfig {
  let document: unknown;
  try {
    document = parse(source);
  } catch (err) {
    throw new ConfigFieldError("the file", `is not YAML (${(err as Error).message.split("\n")[0]})`);
  }
  const root = object(document ?? {}, "the top level");
  const clusters = namedList(root, "clusters", "cluster", (fields, field) => {
    const server = text(fields, "server", field, true) as string;
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new ConfigFieldError(`${field}.server`, `"${server}" is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ConfigFieldError(`${field}.server`, `"${server}" must start with http:// or https://`);
    }
    const data = text(fields, "certificate-authority-data", field, false);
    const file = text(fields, "certificate-authority", field, false);
    if (data !== undefined && file !== undefined) {
      throw new ConfigFieldError(
        `${field}.certificate-authority`,
        "give it or certificate-authority-data, not both",
      );
    }
    let certificateAuthority: string | undefined;
    if (data !== undefined) {
      certificateAuthority = Buffer.from(data, "base64").toString("utf8");
      if (!certificateAuthority.includes("-----BEGIN CERTIFICATE-----")) {
        throw new ConfigFieldError(`${field}.certificate-authority-data`, "must be a base64 PEM certificate");
      }
    }
    if (file !== undefined) {
      try {
        certificateAuthority = readFile(file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new ConfigFieldError(`${field}.certificate-authority`, `cannot read ${file} (${code})`);
      }
    }
    return { server, certificateAuthority, certificateAuthorityFile: file };
  });
  const users = namedList(root, "users", "user", (fields, field) => ({
    token: text(fields, "token", field, false),
  }));
  const contexts = namedList(root, "contexts", "context", (fields, field) => {
    const cluster = text(fields, "cluster", field, true) as string;
    if (!clusters.has(cluster))
      throw new ConfigFieldError(`${field}.cluster`, `no cluster named "${cluster}"`);
    const user = text(fields, "user", field, false);
    if (user !== undefined && !users.has(user)) {
      throw new ConfigFieldError(`${field}.user`, `no user named "${user}"`);
    }
    return { cluster, user };
  });
  const currentContext = text(root, "current-context", "", false);
  if (currentContext !== undefined && !contexts.has(currentContext)) {
    throw new ConfigFieldError("current-context", `no context named "${currentContext}"`);
  }
  return { currentContext, clusters, users, contexts };
}

/** The context `name` (default: the current one); undefined when the file names none. */
export function resolveContext(config: ClientConfig, name?: string): ResolvedContext | undefined {
  const chosen = name ?? config.currentContext;
  if (chosen === undefined) return undefined;
  const context = config.contexts.get(chosen);
  if (context === undefined) throw new ConfigFieldError("contexts", `no context named "${chosen}"`);
  // Both exist: parseClientConfig checked every reference.
  const cluster = config.clusters.get(context.cluster) as ClusterEntry;
  const user = context.user === undefined ? undefined : config.users.get(context.user);
  return {
    name: chosen,
    server: cluster.server,
    ca: cluster.certificateAuthority,
    caFile: cluster.certificateAuthorityFile,
    token: user?.token,
  };
}
