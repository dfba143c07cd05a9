// Checks a user's deployment (from the API or a CLI file) and returns it normalized, or throws a
// ValidationError naming the offending field. CLI and API share these messages.
import { ValidationError } from "./errors.js";
import type { DeploymentSpec, PortSpec, Resources } from "./types.js";
import {
  validateHealthCheck,
  validatePlacement,
  validateRestartPolicy,
  validateStrategy,
} from "./workload-validation.js";

export const MAX_REPLICAS = 1000;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Kubernetes label syntax: optional DNS-subdomain prefix and '/', then a name of at most 63 characters.
const LABEL_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
// Docker's reference grammar (github.com/distribution/reference, regexp.go).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_AND_PORT =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::([0-9]+))?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
/** Docker refuses 64-hex repository names: they would be mistaken for image ids. */
const IMAGE_ID = /^[a-f0-9]{64}$/;
const NAME_TOTAL_LENGTH_MAX = 255;

/** The fields a user may set: what `PUT /deployments` accepts and `specOf` keeps. */
export const SPEC_FIELDS = [
  "name",
  "image",
  "replicas",
  "command",
  "env",
  "ports",
  "labels",
  "resources",
  "healthCheck",
  "placement",
  "restartPolicy",
  "strategy",
] as const;
const PORT_FIELDS = ["name", "containerPort", "protocol"] as const;
const RESOURCE_FIELDS = ["cpu", "memory"] as const;

/** Validates `input` as a DeploymentSpec; returns a normalized copy with defaults filled in. */
export function validateDeploymentSpec(input: unknown): DeploymentSpec {
  const obj = asObject(input, "deployment", "must be an object with at least name and image");
  rejectUnknown(obj, SPEC_FIELDS, "");
  const spec: DeploymentSpec = {
    name: validateName(obj.name, "name"),
    image: validateImage(obj.image, "image"),
    replicas: validateReplicas(obj.replicas),
  };
  if (obj.command !== undefined) spec.command = validateCommand(obj.command);
  if (obj.env !== undefined) spec.env = validateEnv(obj.env);
  if (obj.ports !== undefined) spec.ports = validatePorts(obj.ports);
  if (obj.labels !== undefined) spec.labels = validateLabels(obj.labels);
  if (obj.resources !== undefined) spec.resources = validateResources(obj.resources);
  if (obj.healthCheck !== undefined) spec.healthCheck = validateHealthCheck(obj.healthCheck);
  if (obj.placement !== undefined) spec.placement = validatePlacement(obj.placement);
  if (obj.restartPolicy !== undefined) spec.restartPolicy = validateRestartPolicy(obj.restartPolicy);
  if (obj.strategy !== undefined) spec.strategy = validateStrategy(obj.strategy);
  return spec;
}

/** The user's part of a stored deployment (or anything shaped like one): exactly what PUT accepts. */
export function specOf(deployment: DeploymentSpec): DeploymentSpec {
  const spec: Record<string, unknown> = {};
  for (const field of SPEC_FIELDS) {
    if (deployment[field] !== undefined) spec[field] = deployment[field];
  }
  return spec as unknown as DeploymentSpec;
}

/** A deployment name: a DNS label, so that `<name>.cluster.local` resolves and it is a safe store key. */
export function validateName(value: unknown, field = "name"): string {
  if (value === undefined) throw new ValidationError(field, "is required");
  if (typeof value !== "string" || !DNS_LABEL.test(value)) {
    throw new ValidationError(
      field,
      "must be a DNS label: 1 to 63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
    );
  }
  return value;
}

/** A Docker image reference: `[registry[:port]/]path[:tag][@algorithm:hex]`. */
export function validateImage(value: unknown, field = "image"): string {
  const example = "e.g. nginx:1.27 or registry.local:5000/team/app@sha256:<64 hex digits>";
  if (value === undefined) throw new ValidationError(field, "is required");
  if (typeof value !== "string" || value === "") {
    throw new ValidationError(field, `must be a Docker image reference (${example})`);
  }
  let rest = value;
  const at = rest.indexOf("@");
  if (at >= 0) {
    validateDigest(rest.slice(at + 1), field);
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
    throw new ValidationError(field, `is not a valid Docker image reference (${example})`);
  }
  if (IMAGE_ID.test(value)) {
    throw new ValidationError(field, "a 64-hex repository name is ambiguous with an image id; use a name");
  }
  return value;
}

function validateDigest(digest: string, field: string): void {
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

function validateReplicas(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_REPLICAS) {
    throw new ValidationError("replicas", `must be an integer from 0 to ${MAX_REPLICAS}`);
  }
  return value === 0 ? 0 : value; // normalizes -0
}

function validateCommand(value: unknown): string[] {
  if (typeof value === "string") {
    throw new ValidationError(
      "command",
      'must be an array of arguments, not a shell string: write ["sh", "-c", "..."] to use a shell',
    );
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValidationError("command", "must be a non-empty array of strings");
  }
  return value.map((arg, i) => {
    const field = `command[${i}]`;
    if (typeof arg !== "string") throw new ValidationError(field, "must be a string");
    if (i === 0 && arg === "") throw new ValidationError(field, "must name the program to run");
    if (arg.includes("\0")) throw new ValidationError(field, "must not contain a NUL character");
    return arg;
  });
}

function validateEnv(value: unknown): Record<string, string> {
  const env = asObject(value, "env", "must be an object mapping variable names to string values");
  return Object.fromEntries(
    Object.entries(env).map(([name, val]) => {
      const field = mapField("env", name);
      if (!ENV_NAME.test(name)) {
        throw new ValidationError(
          field,
          "is not a valid environment variable name: letters, digits and '_', not starting with a digit",
        );
      }
      if (typeof val !== "string") {
        throw new ValidationError(field, "must be a string (quote numbers and booleans)");
      }
      if (val.includes("\0")) throw new ValidationError(field, "must not contain a NUL character");
      return [name, val];
    }),
  );
}

function validatePorts(value: unknown): PortSpec[] {
  if (!Array.isArray(value))
    throw new ValidationError("ports", "must be an array of {name?, containerPort, protocol?}");
  const seenPorts = new Map<string, number>();
  const seenNames = new Map<string, number>();
  return value.map((item, i) => {
    const at = `ports[${i}]`;
    const obj = asObject(item, at, "must be an object {name?, containerPort, protocol?}");
    rejectUnknown(obj, PORT_FIELDS, `${at}.`);
    const containerPort = obj.containerPort;
    if (containerPort === undefined) throw new ValidationError(`${at}.containerPort`, "is required");
    if (
      typeof containerPort !== "number" ||
      !Number.isInteger(containerPort) ||
      containerPort < 1 ||
      containerPort > 65535
    ) {
      throw new ValidationError(`${at}.containerPort`, "must be an integer from 1 to 65535");
    }
    const protocol = obj.protocol ?? "tcp";
    if (protocol !== "tcp" && protocol !== "udp") {
      throw new ValidationError(`${at}.protocol`, 'must be "tcp" or "udp"');
    }
    const key = `${containerPort}/${protocol}`;
    const earlier = seenPorts.get(key);
    if (earlier !== undefined) {
      throw new ValidationError(`${at}.containerPort`, `${key} is already declared by ports[${earlier}]`);
    }
    seenPorts.set(key, i);
    if (obj.name === undefined) return { containerPort, protocol };
    const name = validatePortName(obj.name, `${at}.name`);
    const earlierName = seenNames.get(name);
    if (earlierName !== undefined) {
      throw new ValidationError(`${at}.name`, `"${name}" is already used by ports[${earlierName}]`);
    }
    seenNames.set(name, i);
    return { name, containerPort, protocol };
  });
}

/** An IANA service name (RFC 6335): it becomes the `_name._proto` of an SRV record. */
function validatePortName(value: unknown, field: string): string {
  if (
    typeof value !== "string" ||
    !/^[a-z0-9-]{1,15}$/.test(value) ||
    !/[a-z]/.test(value) ||
    value.startsWith("-") ||
    value.endsWith("-") ||
    value.includes("--")
  ) {
    throw new ValidationError(
      field,
      "must be 1 to 15 of a-z, 0-9 and '-' with at least one letter, no leading, trailing or double '-'",
    );
  }
  return value;
}

export function validateLabels(value: unknown): Record<string, string> {
  const labels = asObject(value, "labels", "must be an object mapping label keys to string values");
  return Object.fromEntries(
    Object.entries(labels).map(([key, val]) => {
      const field = mapField("labels", key);
      validateLabelKey(key, field);
      if (typeof val !== "string") throw new ValidationError(field, "must be a string");
      if (val !== "" && !LABEL_NAME.test(val)) {
        throw new ValidationError(
          field,
          "value must be empty or at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
        );
      }
      return [key, val];
    }),
  );
}

function validateLabelKey(key: string, field: string): void {
  const slash = key.indexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    throw new ValidationError(
      field,
      "key prefix must be a DNS subdomain (lowercase, at most 253 characters)",
    );
  }
  if (!LABEL_NAME.test(name)) {
    throw new ValidationError(
      field,
      "key must be [prefix/]name, name at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
    );
  }
}

function validateResources(value: unknown): Resources {
  const obj = asObject(value, "resources", "must be an object {cpu?, memory?}");
  rejectUnknown(obj, RESOURCE_FIELDS, "resources.");
  const resources: Resources = {};
  if (obj.cpu !== undefined) {
    if (!isPositiveInteger(obj.cpu)) {
      throw new ValidationError(
        "resources.cpu",
        "must be a positive integer of millicores (1000 = one core)",
      );
    }
    resources.cpu = obj.cpu;
  }
  if (obj.memory !== undefined) {
    if (!isPositiveInteger(obj.memory)) {
      throw new ValidationError("resources.memory", "must be a positive integer of bytes");
    }
    resources.memory = obj.memory;
  }
  return resources;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

function asObject(value: unknown, field: string, message: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ValidationError(field, message);
  return value as Record<string, unknown>;
}

function rejectUnknown(obj: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    // Suggest only close matches: one edit per four characters, so `hash` does not suggest `name`.
    const near = allowed.find(
      (a) =>
        a.toLowerCase() === key.toLowerCase() ||
        editDistance(a, key) <= Math.max(1, Math.floor(key.length / 4)),
    );
    const field = prefix === "" ? key : `${prefix}${key}`;
    throw new ValidationError(
      field,
      `unknown field${near ? ` (did you mean ${near}?)` : ""}; allowed: ${allowed.join(", ")}`,
    );
  }
}

/** `env.FOO` for identifier-like keys, `labels["app.kubernetes.io/name"]` otherwise. */
function mapField(map: string, key: string): string {
  return ENV_NAME.test(key) ? `${map}.${key}` : `${map}[${JSON.stringify(key)}]`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}
