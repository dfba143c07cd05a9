// Rules about a deployment that its schema cannot state, attached to the schema nodes they concern (see
// `checked` in schemas/common.ts) and run once the schema has accepted the value. Each throws a
// ValidationError naming the field.
import { ValidationError } from "./errors.js";
import { childField } from "./field-path.js";
import { MAX_DEPLOYMENT_BYTES } from "./limits.js";
import { orchestraPortOwner } from "./published-ports.js";

// The shapes the schemas accepted, spelled here (not imported from types.ts, which derives from the schemas
// these rules are part of).
type Port = { name?: string; containerPort: number; protocol: string; publishedPort?: number };
type Constraint = { label: string; operator: string; value?: string; values?: string[] };
type Backoff = { backoffInitialSeconds: number; backoffMaxSeconds: number };
type Budgets = { maxSurge?: number | string; maxUnavailable?: number | string };

// Kubernetes label syntax: optional DNS-subdomain prefix and '/', then a name of at most 63 characters.
const LABEL_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** The first argument names the program: an empty one would make Docker run nothing. */
export function checkCommand(command: string[], field: string): void {
  if (command[0] === "") throw new ValidationError(`${field}[0]`, "must name the program to run");
}

/**
 * No two ports with the same number and protocol, no two with the same name (SRV records need both), no
 * two published on the same port and protocol, none published on one of Orchestra's own ports.
 */
export function checkUniquePorts(ports: Port[], field: string): void {
  const seenPorts = new Map<string, number>();
  const seenNames = new Map<string, number>();
  const seenPublished = new Map<string, number>();
  ports.forEach((port, i) => {
    const at = childField(field, i);
    const key = `${port.containerPort}/${port.protocol}`;
    const earlier = seenPorts.get(key);
    if (earlier !== undefined) {
      throw new ValidationError(`${at}.containerPort`, `${key} is already declared by ports[${earlier}]`);
    }
    seenPorts.set(key, i);
    if (port.publishedPort !== undefined) checkPublishedPort(port, i, `${at}.publishedPort`, seenPublished);
    if (port.name === undefined) return;
    const earlierName = seenNames.get(port.name);
    if (earlierName !== undefined) {
      throw new ValidationError(`${at}.name`, `"${port.name}" is already used by ports[${earlierName}]`);
    }
    seenNames.set(port.name, i);
  });
}

function checkPublishedPort(port: Port, index: number, at: string, seen: Map<string, number>): void {
  const key = `${port.publishedPort}/${port.protocol}`;
  const owner = orchestraPortOwner(port.publishedPort as number, port.protocol);
  if (owner !== undefined) throw new ValidationError(at, `${key} is one of Orchestra's own ports (${owner})`);
  const earlier = seen.get(key);
  if (earlier !== undefined)
    throw new ValidationError(at, `${key} is already published by ports[${earlier}]`);
  seen.set(key, index);
}

/** Label keys: `[prefix/]name`, the prefix a DNS subdomain, the name at most 63 characters. */
export function checkLabelKeys(labels: Record<string, unknown>, field: string): void {
  for (const key of Object.keys(labels)) checkLabelKey(key, childField(field, key, true));
}

/** One label key (see checkLabelKeys), `field` naming it. */
export function checkLabelKey(key: string, field: string): void {
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

/** The whole spec is one store value, copied into its pods and revisions: bounded as JSON. */
export function checkSpecSize(spec: unknown, field: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(spec));
  if (bytes > MAX_DEPLOYMENT_BYTES) {
    throw new ValidationError(field, `is ${bytes} bytes as JSON; at most ${MAX_DEPLOYMENT_BYTES}`);
  }
}

/** A constraint's label is a label key; `==`/`!=` need a `value`, `in`/`notin` a non-empty `values`, `exists`/`notexists` neither. */
export function checkConstraint(constraint: Constraint, field: string): void {
  checkLabelKey(constraint.label, `${field}.label`);
  const { operator } = constraint;
  if (operator === "==" || operator === "!=") {
    if (constraint.value === undefined)
      throw new ValidationError(`${field}.value`, `is required with ${operator}`);
  } else if (operator === "in" || operator === "notin") {
    if (constraint.values === undefined || constraint.values.length === 0) {
      throw new ValidationError(`${field}.values`, `must be a non-empty array of strings with ${operator}`);
    }
  } else if (constraint.value !== undefined || constraint.values !== undefined) {
    throw new ValidationError(field, `${operator} takes no value`);
  }
}

export function checkRestartPolicy(policy: Backoff, field: string): void {
  if (policy.backoffMaxSeconds < policy.backoffInitialSeconds) {
    throw new ValidationError(`${field}.backoffMaxSeconds`, "must not be less than backoffInitialSeconds");
  }
}

/** A rollout that may neither add a pod nor take one away could never progress. */
export function checkStrategy(strategy: Budgets, field: string): void {
  const percent = (value: number | string | undefined) =>
    typeof value === "string" ? Number(value.slice(0, -1)) : value;
  if (percent(strategy.maxSurge) === 0 && percent(strategy.maxUnavailable) === 0) {
    throw new ValidationError(
      `${field}.maxUnavailable`,
      "may not be 0 when maxSurge is 0: the rollout could never progress",
    );
  }
}
