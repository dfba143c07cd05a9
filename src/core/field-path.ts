// How a field is named in error messages: `ports[1].containerPort`, `env.FOO`, `labels["app/tier"]`.
// Schema errors and the rules of src/core/spec-rules.ts name fields the same way.

import { truncated } from "./truncate.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The field `key` of `parent`: `parent[2]` for an array item, `parent.key` for a property or an
 * identifier-like map key, `parent["a.b/c"]` for any other map key. A top-level field (parent "") is bare.
 * A key over MAX_ECHO_LENGTH characters is cut there, its length said.
 */
export function childField(parent: string, whole: string | number, inMap = false): string {
  if (typeof whole === "number") return `${parent}[${whole}]`;
  // A huge key is named by its start: the name goes into every answer and log line about it.
  const key = truncated(whole);
  if (inMap && !IDENTIFIER.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}
