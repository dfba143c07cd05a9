// Bridges Fastify's per-route schema validation to our own checks, so that the API's 400s carry the
// same field-naming messages as the CLI. The JSON schemas on the routes document; these functions decide.
import type { FastifySchemaCompiler } from "fastify";
import { ValidationError } from "../core/errors.js";

type HttpPart = "body" | "params" | "querystring" | "headers";

/** A route's `validatorCompiler`: each part's check returns the normalized value or throws ValidationError. */
export function validatorsFor(
  checks: Partial<Record<HttpPart, (data: unknown) => unknown>>,
): FastifySchemaCompiler<unknown> {
  return ({ httpPart }) => {
    const check = checks[httpPart as HttpPart];
    // Fastify turns a thrown error into a 500, so errors are returned, never thrown.
    return (data: unknown) => {
      if (!check) return { value: data };
      try {
        return { value: check(data) };
      } catch (error) {
        return { error: error instanceof Error ? error : new Error(String(error)) };
      }
    };
  };
}

/** Query strings: only `allowed` parameters, each at most once. */
export function queryOf<K extends string>(data: unknown, allowed: readonly K[]): Partial<Record<K, string>> {
  const query: Partial<Record<K, string>> = {};
  for (const [key, value] of Object.entries((data ?? {}) as Record<string, unknown>)) {
    if (!allowed.includes(key as K)) {
      throw new ValidationError(key, `unknown query parameter; allowed: ${allowed.join(", ")}`);
    }
    if (typeof value !== "string") throw new ValidationError(key, "must be given once");
    query[key as K] = value;
  }
  return query;
}
