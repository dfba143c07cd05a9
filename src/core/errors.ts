// Typed errors shared by every layer; the API maps each to one HTTP status in one place.

export class OrchestraError extends Error {
  override name = "OrchestraError";
}

/** Input that breaks a rule; `field` names the offending field (e.g. `replicas`, `ports[0].containerPort`). */
export class ValidationError extends OrchestraError {
  override name = "ValidationError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export class NotFoundError extends OrchestraError {
  override name = "NotFoundError";
}

/** A write whose precondition failed: the key exists, or its version moved on. */
export class ConflictError extends OrchestraError {
  override name = "ConflictError";
}

/** A write made under a leadership that has been lost. Never retried by the writer. */
export class FencedError extends ConflictError {
  override name = "FencedError";
}

/** The store (or another dependency) cannot be reached now; a retry later may succeed. */
export class UnavailableError extends OrchestraError {
  override name = "UnavailableError";
}

/** A limit on concurrent work was reached (e.g. open log streams); a retry later may succeed. */
export class TooManyRequestsError extends OrchestraError {
  override name = "TooManyRequestsError";
}
