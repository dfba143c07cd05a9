// The one place where errors become HTTP statuses and `{"error","message"}` bodies.
// Typed errors of core map by class; Fastify's own errors (body parsing, limits) by code.
import {
  ConflictError,
  NotFoundError,
  OrchestraError,
  TooManyRequestsError,
  UnavailableError,
  ValidationError,
} from "../core/errors.js";
import { DEFAULT_BODY_LIMIT } from "../core/limits.js";
import type { ErrorBody, ErrorKind } from "../core/types.js";

/** No or a wrong bearer token. */
export class UnauthorizedError extends OrchestraError {
  override name = "UnauthorizedError";
}

/** A request a web page made on the user's behalf: a Host or Origin the server does not serve. */
export class ForbiddenError extends OrchestraError {
  override name = "ForbiddenError";
}

/** One object more than a limit on their number allows (deployments, configs, secrets): nothing is written. */
export class LimitExceededError extends OrchestraError {
  override name = "LimitExceededError";
}

/** A body sent with a content type other than application/json. */
export class UnsupportedMediaTypeError extends OrchestraError {
  override name = "UnsupportedMediaTypeError";
}

/** A body that is not JSON at all (as opposed to JSON that breaks a rule, a ValidationError). */
export class MalformedBodyError extends OrchestraError {
  override name = "MalformedBodyError";
}

export interface HttpError {
  status: number;
  body: ErrorBody;
}

/** Fastify's errors that carry a status of their own: these are the client's fault, never a 500. */
const FASTIFY_CODES: Record<string, { status: number; kind: ErrorKind; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    kind: "PayloadTooLarge",
    message: "body: larger than the limit of %d bytes",
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    kind: "UnsupportedMediaType",
    message: "content-type: must be application/json",
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    kind: "BadRequest",
    message: "body: is empty; send a JSON object",
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, kind: "BadRequest", message: "body: is not valid JSON" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    kind: "BadRequest",
    message: "body: its size does not match Content-Length",
  },
  FST_ERR_BAD_URL: { status: 400, kind: "BadRequest", message: "url: is not validly percent-encoded" },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 404,
    kind: "NotFound",
    message: "url: the name in the path is too long",
  },
};

/** Maps any thrown value to the response the client gets. Unknown errors are a 500 without details. */
export function httpErrorOf(error: unknown, bodyLimit = DEFAULT_BODY_LIMIT): HttpError {
  if (error instanceof ValidationError) {
    return { status: 400, body: { error: "BadRequest", message: error.message, field: error.field } };
  }
  if (error instanceof MalformedBodyError) return reply(400, "BadRequest", error.message);
  if (error instanceof UnauthorizedError) return reply(401, "Unauthorized", error.message);
  if (error instanceof ForbiddenError || error instanceof LimitExceededError)
    return reply(403, "Forbidden", error.message);
  if (error instanceof NotFoundError) return reply(404, "NotFound", error.message);
  if (error instanceof ConflictError) return reply(409, "Conflict", error.message);
  if (error instanceof UnsupportedMediaTypeError) return reply(415, "UnsupportedMediaType", error.message);
  if (error instanceof TooManyRequestsError) return reply(429, "TooManyRequests", error.message);
  if (error instanceof UnavailableError) return reply(503, "Unavailable", error.message);
  const code = (error as { code?: unknown } | null)?.code;
  const known = typeof code === "string" ? FASTIFY_CODES[code] : undefined;
  if (known) return reply(known.status, known.kind, known.message.replace("%d", String(bodyLimit)));
  // Any other error that Fastify marked as the client's (4xx) stays a 4xx.
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const kind: ErrorKind = status === 404 ? "NotFound" : status === 413 ? "PayloadTooLarge" : "BadRequest";
    return reply(status, kind, `request: ${(error as Error).message}`);
  }
  return reply(500, "Internal", "internal error; see the API server's log");
}

function reply(status: number, error: ErrorKind, message: string): HttpError {
  return { status, body: { error, message } };
}

/** The typed error for an answer another Orchestra server gave (a node endpoint's, relayed by the API server). */
export function httpErrorFromStatus(status: number, message: string): OrchestraError {
  if (status === 400) return new MalformedBodyError(message);
  if (status === 404) return new NotFoundError(message);
  if (status === 409) return new ConflictError(message);
  if (status === 429) return new TooManyRequestsError(message);
  // 401/403 from a node endpoint: it does not know this API server's credential (yet); the user can do nothing.
  if (status === 401 || status === 403)
    return new UnavailableError(`the node endpoint refused this API server: ${message}`);
  return new UnavailableError(message);
}
