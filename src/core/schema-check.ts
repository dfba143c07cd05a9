// Checks a value against its schema: first the schema itself (ajv, defaults filled in), then the rules
// attached to its nodes (`checked`), which run only on values the schema accepted. The first problem in
// field order becomes the ValidationError thrown, so a user always hears of the same field first.
// The API's validation (src/api/validation.ts) and the CLI's checks both come through here.
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Static, TSchema } from "typebox";
import { ValidationError } from "./errors.js";
import { childField } from "./field-path.js";
import { byField, type HttpPart, type Problem, schemaProblems } from "./schema-errors.js";
import { CHECK, type Check, FIELD_NAME } from "./schemas/common.js";

export type { HttpPart } from "./schema-errors.js";

export interface CheckOptions {
  /** The field named by an error about the whole value (default: the schema's `named` field, or `body`). */
  root?: string;
  /** Query parameters and headers arrive as strings and are converted to the schema's types. */
  part?: HttpPart;
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema node is read keyword by keyword.
type Node = Record<string | symbol, any>;

// ajv-formats is CommonJS: its default export is the plugin function itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function newAjv(coerceTypes: boolean): Ajv {
  // allErrors: every problem is found, so that the first in field order is reported, not ajv's first.
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    coerceTypes,
    allowUnionTypes: true,
    strict: true,
    strictRequired: false,
  });
  addFormats(ajv);
  // An annotation for schema-errors.ts: what to answer when a node fails.
  ajv.addKeyword({ keyword: "errorMessage", schemaType: ["string", "object"] });
  return ajv;
}

/** Bodies are JSON and taken as they are; query parameters, path parameters and headers are strings. */
const validators = {
  body: { ajv: newAjv(false), compiled: new WeakMap<object, ValidateFunction>() },
  strings: { ajv: newAjv(true), compiled: new WeakMap<object, ValidateFunction>() },
};

/** A checker for `schema`, compiled once: returns a copy of the value with defaults filled in, or throws. */
export function checkerFor<T extends TSchema>(
  schema: T,
  options: CheckOptions = {},
): (value: unknown) => Static<T> {
  const part = options.part ?? "body";
  const naming = { root: options.root ?? (schema as Node)[FIELD_NAME] ?? "body", part };
  const { ajv, compiled } = part === "body" ? validators.body : validators.strings;
  return (input: unknown) => {
    // Compiled on first use, once per schema: a CLI command that validates nothing does not pay for it.
    const run = compiled.get(schema) ?? ajv.compile(schema);
    compiled.set(schema, run);
    const value = structuredClone(input);
    const problems = run(value) ? [] : schemaProblems(run.errors ?? [], schema as Node, value, naming);
    problems.push(...ruleProblems(schema as Node, value, naming.root, problems));
    const first = problems.sort(byField)[0];
    if (first) throw first.error;
    return value as Static<T>;
  };
}

/** Checks one value, e.g. a single field given on the command line, naming it `field`. */
export function checkValue<T extends TSchema>(schema: T, value: unknown, field: string): Static<T> {
  return checkerFor(asRoot(schema), { root: field })(value);
}

const roots = new WeakMap<object, TSchema>();

/** A field's schema as a schema of its own: a default applies to a missing field, not to a whole value. */
function asRoot<T extends TSchema>(schema: T): T {
  if (!("default" in schema)) return schema;
  const root = roots.get(schema) ?? (({ default: _, ...rest }) => rest)(schema as Node);
  roots.set(schema, root as TSchema);
  return root as T;
}

/** Runs the rules attached to the schema's nodes, in field order, on each value free of schema problems. */
function ruleProblems(schema: Node, data: unknown, root: string, schemaFound: Problem[]): Problem[] {
  const problems: Problem[] = [];
  const visit = (node: Node | undefined, value: unknown, field: string, at: number[], pointer: string) => {
    if (node === undefined || value === undefined) return;
    const clean = !schemaFound.some((p) => p.pointer === pointer || p.pointer.startsWith(`${pointer}/`));
    const check = node[CHECK] as Check | undefined;
    if (check && clean) {
      try {
        check(value, field === "" ? root : field);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        problems.push({ at, pointer, error });
      }
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        visit(node.items, item, childField(field, i), [...at, i], `${pointer}/${i}`);
      });
    } else if (typeof value === "object" && value !== null) {
      const declared = Object.keys(node.properties ?? {});
      Object.keys(value).forEach((key, i) => {
        const item = (value as Record<string, unknown>)[key];
        const escaped = `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
        const index = declared.indexOf(key);
        if (index >= 0) visit(node.properties[key], item, childField(field, key), [...at, index], escaped);
        else if (typeof node.additionalProperties === "object") {
          visit(node.additionalProperties, item, childField(field, key, true), [...at, i], escaped);
        }
      });
    }
  };
  visit(schema, data, "", [], "");
  return problems;
}
