// How a field is named in error messages: `ports[1].containerPort`, `env.FOO`, `labels["app/tier"]`.
// Schema errors and the rules of src/core/spec-rules.ts name fields the same way.

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The field `key` of `parent`: `parent[2]` for an array item, `parent.key` for a property or an
 * identifier-like map key, `parent["a.b/c"]` for any other map key. A top-level field (parent "") is bare.
 */
export function childField(parent: string, key: string | number, inMap = false): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (inMap && !IDENTIFIER.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}
