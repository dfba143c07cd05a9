// Reads the deployment documents of `orchestra apply`: a YAML stream of one or many documents, or JSON
// (a JSON text is a YAML document too); a document that is a list contributes each of its items.
import { type Document, isPair, isScalar, isSeq, parseAllDocuments, visit } from "yaml";
import { childField } from "../core/field-path.js";
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

/** The tags of YAML's core schema: what JSON can hold. Others (`!!set`, `!!omap`, `!!binary`) would be lost. */
const CORE_TAGS = new Set(
  ["map", "seq", "str", "null", "bool", "int", "float"].map((t) => `tag:yaml.org,2002:${t}`),
);

/** The field a node is at, named as the API names fields: `env`, `ports[0]`, `labels["a/b"]`. */
function fieldOf(ancestors: readonly unknown[], node: unknown): string {
  const chain = [...ancestors, node];
  let field = "";
  for (let i = 0; i + 1 < chain.length; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent)) {
      const key = isScalar(parent.key) ? String(parent.key.value) : String(parent.key);
      field = childField(field, key, field !== "");
    } else if (isSeq(parent)) {
      field = childField(field, parent.items.indexOf(child as never));
    }
  }
  return field === "" ? "the document" : field;
}

/** Refuses any tag outside the core schema, naming the field: JSON has no sets, ordered maps or bytes. */
function checkTags(document: Document.Parsed, documentNumber: number): void {
  visit(document, {
    Node(_key, node, ancestors) {
      if (node.tag === undefined || CORE_TAGS.has(node.tag)) return;
      const tag = node.tag.replace(/^tag:yaml\.org,2002:/, "!!");
      throw new CliError(
        `document ${documentNumber}: ${fieldOf(ancestors, node)}: the YAML tag ${tag} is not supported (write a plain mapping, list or string)`,
      );
    },
  });
}

/** Parses every document up front, so a syntax error anywhere stops `apply` before it writes anything. */
export function parseManifests(text: string): Manifest[] {
  const manifests: Manifest[] = [];
  let documentNumber = 0;
  // YAML 1.1's types (sets, ordered maps, binary, timestamps) stay unresolved, for checkTags to refuse.
  for (const document of parseAllDocuments(text, { resolveKnownTags: false })) {
    documentNumber++;
    const problem = document.errors[0];
    if (problem) {
      // The parser's message goes on with a code frame after "line L, column C:"; one line is enough.
      const firstLine = (problem.message.split("\n")[0] ?? problem.message).replace(/:$/, "");
      throw new CliError(`document ${documentNumber}: ${firstLine}`);
    }
    checkTags(document, documentNumber);
    let value: unknown;
    try {
      value = document.toJS();
    } catch (error) {
      // An alias bomb ("Excessive alias count ..."), or an alias to nothing.
      throw new CliError(`document ${documentNumber}: ${(error as Error).message}`);
    }
    // An empty document (e.g. after a trailing `---`) holds nothing to apply.
    if (value === null || value === undefined) continue;
    if (Array.isArray(value))
      manifests.push(...value.map((item, i) => toManifest(item, documentNumber, i + 1)));
    else manifests.push(toManifest(value, documentNumber));
  }
  return manifests;
}
