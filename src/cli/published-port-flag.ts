// Docker's and Compose's way of writing a published port, `PUBLISHED:CONTAINER[/udp]`, for
// `orchestra deploy --publish` and the string items of a YAML manifest's `ports`.
import type { PortSpec } from "../core/types.js";

const PUBLISHED = /^(?:(\d+):)?(\d+)(?:\/([A-Za-z]+))?$/;

/**
 * `8000:80`, `5353:53/udp` (and, with `containerOnly`, `80`, `53/udp`) → a PortSpec; undefined when the
 * text is not of that form. Ranges are left to the schema, which names the field in the server's words.
 */
export function parsePublishedPort(text: string, containerOnly = false): PortSpec | undefined {
  const match = PUBLISHED.exec(text.trim());
  const protocol = (match?.[3] ?? "tcp").toLowerCase();
  if (!match || (protocol !== "tcp" && protocol !== "udp")) return undefined;
  if (match[1] === undefined && !containerOnly) return undefined;
  const port: PortSpec = { containerPort: Number(match[2]), protocol };
  if (match[1] !== undefined) port.publishedPort = Number(match[1]);
  return port;
}

/**
 * Adds published ports to declared ones: a published port of a container port already declared (by
 * `--port http:80`, say) publishes that one; any other is declared anew.
 */
export function withPublished(ports: PortSpec[], published: PortSpec[]): PortSpec[] {
  const merged = ports.map((port) => ({ ...port }));
  for (const port of published) {
    const declared = merged.find(
      (p) =>
        p.containerPort === port.containerPort &&
        p.protocol === port.protocol &&
        p.publishedPort === undefined,
    );
    if (declared) declared.publishedPort = port.publishedPort;
    else merged.push(port);
  }
  return merged;
}
