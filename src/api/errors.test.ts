// The status and body each kind of error becomes.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConflictError,
  FencedError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from "../core/errors.js";
import { httpErrorOf, MalformedBodyError, UnauthorizedError, UnsupportedMediaTypeError } from "./errors.js";

test("typed errors map to their statuses", () => {
  const cases: [unknown, number, string][] = [
    [new ValidationError("replicas", "must be an integer from 0 to 1000"), 400, "BadRequest"],
    [new MalformedBodyError("body: is not valid JSON"), 400, "BadRequest"],
    [new UnauthorizedError("authorization: a bearer token is required"), 401, "Unauthorized"],
    [new NotFoundError("deployment x not found"), 404, "NotFound"],
    [new ConflictError("conflict"), 409, "Conflict"],
    [new FencedError("fenced"), 409, "Conflict"],
    [new UnsupportedMediaTypeError("content-type: ..."), 415, "UnsupportedMediaType"],
    [new UnavailableError("down"), 503, "Unavailable"],
  ];
  for (const [error, status, kind] of cases) {
    const mapped = httpErrorOf(error);
    assert.equal(mapped.status, status, String(error));
    assert.equal(mapped.body.error, kind);
    assert.equal(mapped.body.message, (error as Error).message);
  }
  assert.equal(httpErrorOf(new ValidationError("env.A", "must be a string")).body.field, "env.A");
});

test("Fastify's client errors keep a 4xx; anything unknown is a 500 without details", () => {
  const tooLarge = Object.assign(new RangeError("Request body is too large"), {
    code: "FST_ERR_CTP_BODY_TOO_LARGE",
  });
  assert.deepEqual(httpErrorOf(tooLarge, 2048), {
    status: 413,
    body: { error: "PayloadTooLarge", message: "body: larger than the limit of 2048 bytes" },
  });
  const other = Object.assign(new Error("weird header"), { statusCode: 400 });
  assert.equal(httpErrorOf(other).status, 400);
  const internal = httpErrorOf(new TypeError("cannot read properties of undefined (secret detail)"));
  assert.equal(internal.status, 500);
  assert.doesNotMatch(internal.body.message, /secret/);
  assert.equal(httpErrorOf("a string").status, 500);
  assert.equal(httpErrorOf(null).status, 500);
});
