// Turns the errors of the schema validator (ajv) into Orchestra's: a ValidationError naming the field
// (`ports[1].containerPort`) with the message the schema declares (`errorMessage`, see schemas/common.ts)
// or one derived from it, each placed in field order so that the first field that is wrong is reported.
import type { ErrorObject } from "ajv";
import { ValidationError } from "./errors.js";
import { childField } from "./field-path.js";
import { MAX_SUGGESTED_KEY_LENGTH } from "./limits.js";

/** Which part of an HTTP request a value is: query parameters and headers are worded as such. */
export type HttpPart = "body" | "params" | "querystring" | "headers";

/** One thing wrong with a value. `at` orders problems as the schema declares its fields (see `byField`). */
export interface Problem {
  at: number[];
  /** JSON pointer of the offending value: a rule does not run on a value that has problems within it. */
  pointer: string;
  error: ValidationError;
}

export interface Naming {
  /** The field named by an error about the whole value, e.g. `deployment` or `body`. */
  root: string;
  part: HttpPart;
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema node is read keyword by keyword.
type Node = Record<string, any>;

/** The problems ajv found, one per error that is not explained by another. */
export function schemaProblems(
  errors: ErrorObject[],
  schema: Node,
  data: unknown,
  naming: Naming,
): Problem[] {
  return withoutExplainedErrors(errors, schema).map((error) => problemOf(error, schema, data, naming));
}

/** Orders problems by field: declared order of properties, unknown ones first, map keys as given. */
export function byField(a: Problem, b: Problem): number {
  for (let i = 0; i < Math.min(a.at.length, b.at.length); i++) {
    const diff = (a.at[i] ?? 0) - (b.at[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a.at.length - b.at.length;
}

/**
 * An `anyOf`/`oneOf` that fails yields errors for each branch. When exactly one branch takes the value's
 * type (an object where an object or null is allowed), its errors say what is wrong; otherwise the
 * combinator's own error does. A `propertyNames` error repeats the inner error that names the key.
 */
function withoutExplainedErrors(errors: ErrorObject[], schema: Node): ErrorObject[] {
  let kept = errors.filter((error) => error.keyword !== "propertyNames");
  for (const combinator of errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf")) {
    const prefix = `${combinator.schemaPath}/`;
    const branches = (resolve(schema, combinator.schemaPath) as unknown[] | undefined)?.length ?? 0;
    const typed = [...Array(branches).keys()].filter(
      (i) => !kept.some((e) => e.schemaPath === `${prefix}${i}/type`),
    );
    const chosen = typed.length === 1 ? `${prefix}${typed[0]}/` : undefined;
    kept = kept.filter((e) =>
      chosen === undefined
        ? !e.schemaPath.startsWith(prefix)
        : e !== combinator && (!e.schemaPath.startsWith(prefix) || e.schemaPath.startsWith(chosen)),
    );
  }
  return kept;
}

function problemOf(error: ErrorObject, schema: Node, data: unknown, naming: Naming): Problem {
  const path = error.instancePath === "" ? [] : error.instancePath.slice(1).split("/").map(unescapePointer);
  const { chain, keyword, inPropertyNames } = walk(schema, error.schemaPath);
  const node = chain[chain.length - 1]?.node ?? schema;
  const params = error.params as Record<string, unknown>;
  if (keyword === "required") {
    return problemAt(schema, data, [...path, String(params.missingProperty)], naming, "is required");
  }
  if (keyword === "additionalProperties" && node.additionalProperties === false) {
    const key = String(params.additionalProperty);
    const allowed = Object.keys(node.properties ?? {});
    const message =
      naming.part === "querystring"
        ? `unknown query parameter; allowed: ${allowed.join(", ")}`
        : `unknown field${suggestion(key, allowed)}; allowed: ${allowed.join(", ")}`;
    return problemAt(schema, data, [...path, key], naming, message);
  }
  if (inPropertyNames) {
    const message = messageOf(node, keyword, undefined) ?? error.message ?? "is not a valid key";
    return problemAt(schema, data, [...path, String(error.propertyName)], naming, message);
  }
  const value = valueAt(data, path);
  if (naming.part === "querystring" && keyword === "type" && Array.isArray(value)) {
    return problemAt(schema, data, path, naming, "must be given once");
  }
  const own = messageOf(node, keyword, value);
  if (own !== undefined) return problemAt(schema, data, path, naming, own);
  // A message for a whole subtree (e.g. every item of `healthCheck.exec`) names the subtree.
  for (let i = chain.length - 2; i >= 0; i--) {
    const outer = chain[i];
    if (outer && typeof outer.node.errorMessage === "string") {
      return problemAt(schema, data, path.slice(0, outer.depth), naming, outer.node.errorMessage);
    }
  }
  const message = derivedMessage(node) ?? error.message ?? "is not valid";
  return problemAt(schema, data, path, naming, message);
}

/** The schema nodes a schemaPath goes through, with how many instance path segments each is at. */
function walk(schema: Node, schemaPath: string) {
  const segments = schemaPath.replace(/^#\/?/, "").split("/").filter(Boolean).map(unescapePointer);
  const chain: { node: Node; depth: number }[] = [{ node: schema, depth: 0 }];
  let node = schema;
  let depth = 0;
  let inPropertyNames = false;
  let keyword = "";
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? "";
    if (i === segments.length - 1) {
      keyword = segment; // the last segment is always the keyword that failed
      break;
    }
    if (segment === "properties" || segment === "patternProperties") {
      node = node[segment][segments[++i] ?? ""];
      depth++;
    } else if (segment === "items" || segment === "additionalProperties") {
      node = node[segment];
      depth++;
    } else if (segment === "propertyNames") {
      node = node[segment];
      inPropertyNames = true;
    } else if (segment === "anyOf" || segment === "oneOf" || segment === "allOf") {
      node = node[segment][Number(segments[++i])];
    } else {
      keyword = segment;
      break;
    }
    chain.push({ node, depth });
  }
  return { chain, keyword, inPropertyNames };
}

/** The node's own message for a failing keyword; for `type`, one for the JSON type received wins. */
function messageOf(node: Node, keyword: string, value: unknown): string | undefined {
  const declared = node.errorMessage as string | Record<string, string> | undefined;
  if (declared === undefined || typeof declared === "string") return declared;
  return (keyword === "type" ? declared[jsonType(value)] : undefined) ?? declared[keyword];
}

/** The usual wording for integer ranges, enumerations and booleans. */
function derivedMessage(node: Node): string | undefined {
  if (node.type === "integer" && typeof node.minimum === "number" && typeof node.maximum === "number") {
    return `must be an integer from ${node.minimum} to ${node.maximum}`;
  }
  if (Array.isArray(node.enum)) {
    const [a, b] = node.enum;
    return node.enum.length === 2
      ? `must be ${JSON.stringify(a)} or ${JSON.stringify(b)}`
      : `must be one of ${node.enum.join(", ")}`;
  }
  if (node.type === "boolean") return "must be true or false";
  return undefined;
}

/** A problem at `path`, named and placed by walking the schema and the data along it. */
function problemAt(schema: Node, data: unknown, path: string[], naming: Naming, message: string): Problem {
  let node: Node | undefined = schema;
  let value = data;
  let field = "";
  const at: number[] = [];
  for (const segment of path) {
    const branch: Node | undefined = objectBranch(node, segment);
    if (Array.isArray(value)) {
      at.push(Number(segment));
      field = childField(field, Number(segment));
      node = node?.items;
    } else if (branch?.properties && Object.hasOwn(branch.properties, segment)) {
      at.push(Object.keys(branch.properties).indexOf(segment));
      field = naming.part === "headers" && field === "" ? headerName(segment) : childField(field, segment);
      node = branch.properties[segment];
    } else if (branch && typeof branch.additionalProperties === "object") {
      at.push(Object.keys(value ?? {}).indexOf(segment));
      field = childField(field, segment, true);
      node = branch.additionalProperties;
    } else {
      at.push(-1); // an unknown field: reported before the declared ones
      field = childField(field, segment);
      node = undefined;
    }
    value = (value as Record<string, unknown> | undefined)?.[segment];
  }
  const pointer = path.map((segment) => `/${segment.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
  return { at, pointer, error: new ValidationError(field === "" ? naming.root : field, message) };
}

/** The node itself, or the branch of its `anyOf`/`oneOf` that describes objects with `key`. */
function objectBranch(node: Node | undefined, key: string): Node | undefined {
  const branches = (node?.anyOf ?? node?.oneOf) as Node[] | undefined;
  if (!branches) return node;
  return (
    branches.find((b) => b.properties && Object.hasOwn(b.properties, key)) ??
    branches.find((b) => b.properties)
  );
}

function valueAt(data: unknown, path: string[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], data);
}

export function resolve(schema: Node, schemaPath: string): unknown {
  const segments = schemaPath.replace(/^#\/?/, "").split("/").filter(Boolean).map(unescapePointer);
  return segments.reduce<unknown>((node, key) => (node as Node | undefined)?.[key], schema);
}

function unescapePointer(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** `if-match` → `If-Match`, as headers are usually written. */
function headerName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/**
 * ` (did you mean replicas?)` for a close match: one edit per four characters, so `hash` does not suggest
 * `name`. Only for keys of a field name's length: the edit distance costs the product of the lengths.
 */
function suggestion(key: string, allowed: string[]): string {
  if (key.length > MAX_SUGGESTED_KEY_LENGTH) return "";
  const near = allowed.find(
    (a) =>
      a.toLowerCase() === key.toLowerCase() ||
      editDistance(a, key) <= Math.max(1, Math.floor(key.length / 4)),
  );
  return near ? ` (did you mean ${near}?)` : "";
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}
