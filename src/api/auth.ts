// Bearer-token authentication of API requests, compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { UnauthorizedError } from "./errors.js";

/** Routes anyone may call: liveness probes and load balancers carry no token, and it reveals nothing. */
export const PUBLIC_ROUTES = new Set(["/healthz"]);

/** Returns an onRequest hook that rejects requests without `Authorization: Bearer <token>`. */
export function bearerAuth(token: string): (request: FastifyRequest) => Promise<void> {
  const expected = digest(token);
  return async (request) => {
    if (request.routeOptions.url !== undefined && PUBLIC_ROUTES.has(request.routeOptions.url)) return;
    const header = request.headers.authorization;
    if (header === undefined) throw new UnauthorizedError("authorization: a bearer token is required");
    const match = /^Bearer +(\S+) *$/i.exec(header);
    // Hashing first gives equal lengths, so neither the comparison nor its length check leaks the token.
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      throw new UnauthorizedError("authorization: the bearer token is not valid");
    }
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
