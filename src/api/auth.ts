// Bearer-token authentication of API requests, compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { UnauthorizedError } from "./errors.js";

/** Returns an onRequest hook that rejects requests without `Authorization: Bearer <token>`. */
export function bearerAuth(token: string): (request: FastifyRequest) => Promise<void> {
  const expected = digest(token);
  return async (request) => {
    // A route whose schema says `security: []` is public (GET /healthz: probes carry no token).
    if (request.routeOptions.schema?.security?.length === 0) return;
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
