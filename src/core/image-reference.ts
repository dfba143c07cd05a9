// The grammar of a Docker image reference, `[registry[:port]/]path[:tag][@algorithm:hex]`: a rule the
// schema (a non-empty string) cannot state, checked once the schema has accepted the value.
import { ValidationError } from "./errors.js";

// Docker's reference grammar (github.com/distribution/reference, regexp.go).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_AND_PORT =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::([0-9]+))?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
/** Docker refuses 64-hex repository names: they would be mistaken for image ids. */
const IMAGE_ID = /^[a-f0-9]{64}$/;
const NAME_TOTAL_LENGTH_MAX = 255;

export const IMAGE_EXAMPLE = "e.g. nginx:1.27 or registry.local:5000/team/app@sha256:<64 hex digits>";

/** Throws a ValidationError naming `field` unless `value` is a valid reference. */
export function checkImageReference(value: string, field: string): void {
  let rest = value;
  const at = rest.indexOf("@");
  if (at >= 0) {
    checkDigest(rest.slice(at + 1), field);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    const tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) {
      throw new ValidationError(
        field,
        `tag ${JSON.stringify(tag)} is invalid: 1 to 128 of letters, digits, '_', '.' and '-', not starting with '.' or '-'`,
      );
    }
    rest = rest.slice(0, colon);
  }
  if (rest.length > NAME_TOTAL_LENGTH_MAX) {
    throw new ValidationError(field, `repository name must be at most ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const components = rest.split("/");
  // The first of several components is a registry host when it is not a valid path component.
  if (components.length > 1 && !PATH_COMPONENT.test(components[0] ?? "")) {
    const host = components.shift() ?? "";
    const match = DOMAIN_AND_PORT.exec(host);
    if (!match)
      throw new ValidationError(field, `registry ${JSON.stringify(host)} is not a valid host[:port]`);
    if (match[1] !== undefined && Number(match[1]) > 65535) {
      throw new ValidationError(field, `registry port ${match[1]} is out of range`);
    }
  }
  for (const component of components) {
    if (PATH_COMPONENT.test(component)) continue;
    if (PATH_COMPONENT.test(component.toLowerCase())) {
      throw new ValidationError(field, "repository name must be lowercase");
    }
    throw new ValidationError(field, `is not a valid Docker image reference (${IMAGE_EXAMPLE})`);
  }
  if (IMAGE_ID.test(value)) {
    throw new ValidationError(field, "a 64-hex repository name is ambiguous with an image id; use a name");
  }
}

function checkDigest(digest: string, field: string): void {
  const sep = digest.indexOf(":");
  const algorithm = sep < 0 ? digest : digest.slice(0, sep);
  const hex = sep < 0 ? "" : digest.slice(sep + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined || !new RegExp(`^[a-f0-9]{${length}}$`).test(hex)) {
    throw new ValidationError(
      field,
      "digest must be sha256: followed by 64 lowercase hex digits (or sha384/sha512 with 96/128)",
    );
  }
}
