// The optional `If-Match` precondition of PUT and DELETE, in terms of a deployment's generation.
//   If-Match: 3  (or "3")  the deployment must exist at generation 3
//   If-Match: *            the deployment must exist (update only)
//   If-Match: 0            the deployment must not exist (create only)
import { ConflictError, ValidationError } from "../core/errors.js";
import { IF_MATCH_MESSAGE } from "../core/schemas/deployment.js";

export type Precondition =
  | { kind: "none" }
  | { kind: "exists" }
  | { kind: "absent" }
  | { kind: "generation"; generation: number };

const GENERATION = /^(?:"([0-9]{1,15})"|([0-9]{1,15}))$/;

/** Parses the header value; a malformed one is a 400 naming `If-Match`. */
export function parseIfMatch(header: string | string[] | undefined): Precondition {
  if (header === undefined) return { kind: "none" };
  const value = (Array.isArray(header) ? header.join(",") : header).trim();
  if (value === "*") return { kind: "exists" };
  const match = GENERATION.exec(value);
  if (!match) {
    throw new ValidationError("If-Match", IF_MATCH_MESSAGE);
  }
  const generation = Number(match[1] ?? match[2]);
  return generation === 0 ? { kind: "absent" } : { kind: "generation", generation };
}

/** Throws ConflictError (409) unless `current` (undefined: no such deployment) satisfies the precondition. */
export function checkPrecondition(
  name: string,
  precondition: Precondition,
  current: { generation: number } | undefined,
): void {
  switch (precondition.kind) {
    case "none":
      return;
    case "absent":
      if (current) {
        throw new ConflictError(
          `deployment ${name} already exists (generation ${current.generation}); If-Match: 0 requires that it does not`,
        );
      }
      return;
    case "exists":
      if (!current)
        throw new ConflictError(`deployment ${name} does not exist; If-Match: * requires that it does`);
      return;
    case "generation":
      if (!current) {
        throw new ConflictError(
          `deployment ${name} does not exist; If-Match expected generation ${precondition.generation}`,
        );
      }
      if (current.generation !== precondition.generation) {
        throw new ConflictError(
          `deployment ${name} is at generation ${current.generation}, not ${precondition.generation} as If-Match requires`,
        );
      }
  }
}
