// The error responses a route declares next to its success responses: every status a client can get is in
// the route's schema, so in the OpenAPI document, and the API tests check each answer against it.
import type { TSchema } from "typebox";
import { ErrorBody } from "../core/schemas/errors.js";

/** `schema` as the answer of one status of one route, with what that answer means. */
export function described<T extends TSchema>(schema: T, description: string): T {
  // @fastify/swagger takes the response's description from this key and drops it from the schema.
  return { ...schema, "x-response-description": description } as T;
}

/** `success` (status → schema) with `errors` (status → why) answered with the Error body. */
export function withErrors<S extends Record<number, TSchema>, E extends Record<number, string>>(
  success: S,
  errors: E,
): S & { [K in keyof E]: typeof ErrorBody } {
  const answers = Object.entries(errors).map(([status, why]) => [status, described(ErrorBody, why)]);
  return { ...success, ...Object.fromEntries(answers) } as S & { [K in keyof E]: typeof ErrorBody };
}

/** What any route that reads the store can answer. */
export const STORE_ERRORS = {
  401: "Missing or wrong bearer token (only when the server has a token).",
  403: "A request from a web page: without a token, a Host that is not loopback (or allowed); an Origin not allowed.",
  500: "A bug; the API server's log says more.",
  503: "The store is unreachable or did not answer in time.",
};

/** What a route whose method carries a body can answer before it runs: Fastify reads any body it is sent. */
export const BODY_ERRORS = {
  400: "A body that is not JSON, or a request that breaks the route's schema; the message names the field.",
  413: "A body over the limit (512 KiB by default).",
  415: "A body that is not application/json.",
};
