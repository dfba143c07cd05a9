// What a bearer token may be: it travels in an HTTP header as `Bearer <token>`, so only visible ASCII without
// spaces survives the trip. A server started with anything else would answer 401 to every request forever.
import { ValidationError } from "./errors.js";

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** Throws a ValidationError naming `field` unless `token` is 1 or more visible ASCII characters. */
export function checkToken(token: string, field: string): void {
  if (!VISIBLE_ASCII.test(token)) {
    throw new ValidationError(
      field,
      token === ""
        ? "must not be empty"
        : "must be visible ASCII characters without spaces (it is sent in an HTTP header)",
    );
  }
}
