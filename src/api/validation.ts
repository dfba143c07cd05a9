// Fastify's validation of every route, from the route's schemas: each part of a request (path and query
// parameters, headers, body) is checked by src/core/schema-check.ts, so a 400 names the field with the same
// message the CLI would print. Set once on the server; routes only declare schemas.
import type { FastifySchemaCompiler } from "fastify";
import type { TSchema } from "typebox";
import { checkerFor, type HttpPart } from "../core/schema-check.js";

export const schemaValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = checkerFor(schema, { part: (httpPart ?? "body") as HttpPart });
  // Fastify turns a thrown error into a 500, so errors are returned, never thrown.
  return (data: unknown) => {
    try {
      return { value: check(data) };
    } catch (error) {
      return { error: error instanceof Error ? error : new Error(String(error)) };
    }
  };
};
