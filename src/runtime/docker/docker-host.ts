// Where the Docker engine listens: parses `--docker-host` / DOCKER_HOST forms into a connection.
import { ValidationError } from "../../core/errors.js";

export type DockerConnection =
  | { socketPath: string }
  | { host: string; port: number; protocol: "http" | "https" };

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/**
 * Accepts `unix:///var/run/docker.sock`, a bare socket path, `tcp://host:2375`, `http://host:port`,
 * `https://host:port` and `host:port`. Without a value: DOCKER_HOST, else the default socket.
 */
export function parseDockerHost(value: string | undefined = process.env.DOCKER_HOST): DockerConnection {
  const text = value?.trim();
  if (!text) return { socketPath: DEFAULT_DOCKER_SOCKET };
  if (text.startsWith("unix://"))
    return { socketPath: text.slice("unix://".length) || DEFAULT_DOCKER_SOCKET };
  if (text.startsWith("/")) return { socketPath: text };
  const withScheme = text.includes("://") ? text : `tcp://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid(text);
  }
  const protocol = url.protocol === "https:" ? "https" : "http";
  const hasPath = url.pathname !== "" && url.pathname !== "/";
  if (!["tcp:", "http:", "https:"].includes(url.protocol) || url.hostname === "" || hasPath)
    throw invalid(text);
  // Docker's convention: 2375 plain, 2376 TLS.
  const port = url.port ? Number(url.port) : protocol === "https" ? 2376 : 2375;
  // URL keeps the brackets of an IPv6 literal; the http module wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { host, port, protocol };
}

/** The connection as a string for logs and messages: `unix:///var/run/docker.sock`, `tcp://h:2375`. */
export function formatDockerHost(connection: DockerConnection): string {
  if ("socketPath" in connection) return `unix://${connection.socketPath}`;
  const scheme = connection.protocol === "https" ? "https" : "tcp";
  return `${scheme}://${connection.host}:${connection.port}`;
}

function invalid(text: string): ValidationError {
  return new ValidationError(
    "docker-host",
    `"${text}" is not a Docker address: use unix:///path/to/docker.sock or tcp://host:port`,
  );
}
