// The OpenAPI 3.1 document served at /openapi.json: @fastify/swagger builds it from the routes' schemas
// (src/core/schemas/), and `finishDocument` tidies what it builds: named schemas (those with a `title`)
// become components referenced by `$ref`, a field with a default is optional, a body that may be left out
// is not required, and path parameters shared by a path's operations are stated once for the path.
import type { FastifyDynamicSwaggerOptions } from "@fastify/swagger";
import { routeRoleOf } from "./route-roles.js";

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON.
type Json = Record<string, any>;

export const swaggerOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: "3.1.0",
    info: {
      title: "Orchestra API",
      version: "1",
      description:
        "Deployments, pods and nodes of an Orchestra cluster. Errors are JSON {error, message}; a message " +
        "starts with the field it is about.",
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
  },
  // Each operation says the least role that may call it, as its route declares it (route-roles.ts).
  transform: ({ schema, url, route }) => ({
    schema: { ...schema, "x-orchestra-role": routeRoleOf(route.config) } as typeof schema,
    url,
  }),
  transformObject: (built) => finishDocument(("openapiObject" in built ? built.openapiObject : {}) as Json),
};

export function finishDocument(document: Json): Json {
  const components: Json = {};
  for (const pathItem of Object.values<Json>(document.paths ?? {})) {
    for (const operation of Object.values<Json>(pathItem)) {
      for (const parameter of operation.parameters ?? []) {
        parameter.schema = named(parameter.schema, components);
        if (parameter.schema?.default !== undefined) parameter.required = false;
      }
      const body = operation.requestBody;
      for (const media of Object.values<Json>(body?.content ?? {})) {
        const branches = media.schema?.anyOf as Json[] | undefined;
        const nonNull = branches?.filter((branch) => branch.type !== "null");
        if (branches && nonNull?.length === 1 && branches.length === 2) {
          body.required = false; // `null` stands for no body at all
          media.schema = nonNull[0];
        }
        media.schema = named(media.schema, components);
      }
      for (const response of Object.values<Json>(operation.responses ?? {})) {
        for (const media of Object.values<Json>(response.content ?? {})) {
          media.schema = named(media.schema, components);
        }
      }
    }
    hoistPathParameters(pathItem);
  }
  const schemas = { ...document.components?.schemas, ...components };
  return { ...document, components: { ...document.components, schemas } };
}

/** `schema` with every titled subschema moved to `components` and referenced; defaults made optional. */
function named(schema: unknown, components: Json): unknown {
  if (Array.isArray(schema)) return schema.map((item) => named(item, components));
  if (typeof schema !== "object" || schema === null) return schema;
  const copy: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    copy[key] = key === "errorMessage" || key === "examples" ? value : named(value, components);
  }
  optionalDefaults(copy);
  if (typeof copy.title !== "string" || !("type" in copy || "anyOf" in copy)) return copy;
  const existing = components[copy.title];
  if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(copy)) {
    throw new Error(`two different schemas are named ${copy.title}`);
  }
  components[copy.title] = copy;
  return { $ref: `#/components/schemas/${copy.title}` };
}

/** A property with a default may be left out: the server fills it in. */
function optionalDefaults(schema: Json): void {
  if (!Array.isArray(schema.required) || typeof schema.properties !== "object") return;
  const required = schema.required.filter((name: string) => schema.properties[name]?.default === undefined);
  if (required.length > 0) schema.required = required;
  else delete schema.required;
}

/** Path parameters that every operation of a path repeats are declared once, on the path. */
function hoistPathParameters(pathItem: Json): void {
  const operations = Object.values<Json>(pathItem);
  const inPath = (operation: Json) => (operation.parameters ?? []).filter((p: Json) => p.in === "path");
  const shared = inPath(operations[0] ?? {});
  const same = JSON.stringify(shared);
  if (shared.length === 0 || !operations.every((operation) => JSON.stringify(inPath(operation)) === same))
    return;
  for (const operation of operations) {
    const rest = (operation.parameters as Json[]).filter((p) => p.in !== "path");
    if (rest.length > 0) operation.parameters = rest;
    else delete operation.parameters;
  }
  pathItem.parameters = shared;
}
