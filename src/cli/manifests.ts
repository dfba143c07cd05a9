// Reads the deployment documents of `orchestra apply`: a YAML stream of one or many documents, or JSON
// (a JSON text is a YAML document too); a document that is a list contributes each of its items.
import { parseAllDocuments } from "yaml";
import { CliError } from "./cli-error.js";
import { parsePublishedPort } from "./published-port-flag.js";

export interface Manifest {
  /** 1-based position of the document in the stream, for error lines. */
  document: number;
  /** 1-based position within a document that is a list. */
  item?: number;
  /** The deployment's name when the document has one, for error lines. */
  name?: string;
  /** The document as written; the API server validates it. */
  spec: Record<string, unknown>;
}

/** Names a manifest in an error line: `document 2 ("web")`, `document 1, item 3 ("db")`. */
export function manifestLabel(manifest: Omit<Manifest, "spec">): string {
  const where =
    manifest.item === undefined
      ? `document ${manifest.document}`
      : `document ${manifest.document}, item ${manifest.item}`;
  return manifest.name === undefined ? where : `${where} ("${manifest.name}")`;
}

function toManifest(value: unknown, document: number, item?: number): Manifest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(
      `${manifestLabel({ document, item })}: expected a deployment (a mapping with name, image, replicas...)`,
    );
  }
  const spec = value as Record<string, unknown>;
  const name = typeof spec.name === "string" ? spec.name : undefined;
  if (Array.isArray(spec.ports))
    spec.ports = spec.ports.map((port, i) => portItem(port, i, { document, item, name }));
  return { document, item, name, spec };
}

/** A Compose-style string item of `ports` (`"8000:80"`, `"53/udp"`) becomes the object the API takes. */
function portItem(port: unknown, index: number, where: Omit<Manifest, "spec">): unknown {
  if (typeof port !== "string") return port;
  const parsed = parsePublishedPort(port, true);
  if (!parsed) {
    throw new CliError(
      `${manifestLabel(where)}: ports[${index}]: expected [PUBLISHED:]CONTAINER[/tcp|/udp], got "${port}"`,
    );
  }
  return parsed;
}

/** Parses every document up front, so a syntax error anywhere stops `apply` before it writes anything. */
export function parseManifests(text: string): Manifest[] {
  const manifests: Manifest[] = [];
  let documentNumber = 0;
  for (const document of parseAllDocuments(text)) {
    documentNumber++;
    const problem = document.errors[0];
    if (problem) {
      // The parser's message goes on with a code frame after "line L, column C:"; one line is enough.
      const firstLine = (problem.message.split("\n")[0] ?? problem.message).replace(/:$/, "");
      throw new CliError(`document ${documentNumber}: ${firstLine}`);
    }
    const value: unknown = document.toJS();
    // An empty document (e.g. after a trailing `---`) holds nothing to apply.
    if (value === null || value === undefined) continue;
    if (Array.isArray(value))
      manifests.push(...value.map((item, i) => toManifest(item, documentNumber, i + 1)));
    else manifests.push(toManifest(value, documentNumber));
  }
  return manifests;
}
