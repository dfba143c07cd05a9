// Building blocks of the API's schemas (TypeBox, i.e. JSON Schema with static types). Every shape the API
// takes or returns is declared once under src/core/schemas/; its TypeScript type, its validation
// (src/core/schema-check.ts), the OpenAPI document and the CLI's checks all come from it.
//
// Three conventions that the rest of the code relies on:
// - `errorMessage` says what the API answers when a value breaks the schema: one message for the node and
//   everything under it, or one per JSON Schema keyword (`{type: "...", pattern: "..."}`); for `type` a key
//   naming the JSON type received (`string`, `object`, ...) refines it. Without one, the message is derived
//   (integer ranges, enums, booleans) or taken from the nearest enclosing node that has one.
// - A property with a `default` may be left out: validation fills it in, so the TypeScript type holds it
//   (it is required there), while the published document lists it as optional.
// - `checked(schema, check)` attaches a rule that a schema cannot state (an image reference's grammar,
//   unique ports, ...); it runs once the schema has accepted the value.
import Type, {
  type Static,
  type TObject,
  type TObjectOptions,
  type TProperties,
  type TSchema,
  type TUnsafe,
} from "typebox";

/** What the API answers when a value breaks a schema node; see the file's comment. */
export type ErrorMessage = string | Record<string, string>;

/** A rule the schema cannot state: throws a ValidationError naming the field. `field` names `value`. */
// biome-ignore lint/suspicious/noExplicitAny: a check receives what its schema accepted, typed by its author.
export type Check = (value: any, field: string) => void;

/** Where `checked` keeps a node's rule: a symbol, so it never reaches JSON or the OpenAPI document. */
export const CHECK = Symbol("check");

/** Attaches `check` to `schema` (copies made by Type.Optional keep it). */
export function checked<T extends TSchema>(schema: T, check: Check): T {
  Object.defineProperty(schema, CHECK, { value: check, enumerable: true });
  return schema;
}

/** Where `named` keeps the field an error about a whole value names (`deployment`; default `body`). */
export const FIELD_NAME = Symbol("fieldName");

/** Names the value `schema` describes in errors about it as a whole: `deployment: must be an object`. */
export function named<T extends TSchema>(schema: T, field: string): T {
  Object.defineProperty(schema, FIELD_NAME, { value: field, enumerable: true });
  return schema;
}

/** An object that refuses unknown properties, as every object the API takes or returns does. */
export function closed<P extends TProperties>(properties: P, options: TObjectOptions = {}): TObject<P> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** A map from string keys to `values`; `keys` constrains the keys (JSON Schema `propertyNames`). */
export function stringMap<V extends TSchema>(
  values: V,
  options: TObjectOptions & { keys?: TSchema } = {},
): TUnsafe<Record<string, Static<V>>> {
  const { keys, ...rest } = options;
  return Type.Unsafe<Record<string, Static<V>>>({
    type: "object",
    ...(keys ? { propertyNames: keys } : {}),
    additionalProperties: values,
    ...rest,
  });
}

/** The property names of an object schema, in declaration order (the order errors are reported in). */
export function fieldsOf<P extends TProperties>(schema: TObject<P>): (keyof P & string)[] {
  return Object.keys(schema.properties) as (keyof P & string)[];
}

/** An ISO 8601 time, as every timestamp the API serves. */
export function timestamp(description?: string) {
  return Type.String({ format: "date-time", ...(description ? { description } : {}) });
}

/** Any JSON string (`NUL` included): for values Orchestra only shows or compares. */
export const Text = Type.String();

/** A count, 0 or more. */
export const Count = Type.Integer({ minimum: 0 });

/** No JSON `NUL` character: the kernel cuts a C string there. */
export const NO_NUL = "^[^\\u0000]*$";

/** No `NUL` and no line break: for values that end up in a C string or a line of a protocol or a log. */
export const NO_NUL_OR_LINE_BREAK = "^[^\\u0000\\r\\n]*$";

/** A label value: empty, or at most 63 of letters, digits, '-', '_' and '.', alphanumeric at both ends. */
export const LABEL_VALUE = "^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$";
export const LABEL_VALUE_MESSAGE = {
  type: "must be a string",
  pattern:
    "value must be empty or at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
};

/** The message of a `maxLength` limit. */
export function atMostCharacters(limit: number): string {
  return `must be at most ${limit} characters`;
}

/** The message of a `maxItems` or `maxProperties` limit: `must have at most 64 labels`. */
export function atMost(limit: number, what: string): string {
  return `must have at most ${limit} ${what}`;
}

/** The body of GET /healthz. */
export const Health = closed({ status: Type.Literal("ok") }, { title: "Health" });

/** The body of GET /openapi.json: an OpenAPI 3.1 document. */
export const OpenApiDocument = Type.Object(
  { openapi: Type.String(), info: Type.Object({}), paths: Type.Object({}) },
  { description: "This document (OpenAPI 3.1)." },
);
