// Validation of a deployment's workload options: health check, placement, restart policy and rollout
// strategy. Each returns a normalized copy or throws a ValidationError naming the field.
import { DEFAULT_HEALTH_TIMING, DEFAULT_RESTART_POLICY } from "./defaults.js";
import { ValidationError } from "./errors.js";
import type { Constraint, HealthCheck, Placement, RestartPolicy, RolloutStrategy } from "./types.js";

const HEALTH_FIELDS = [
  "exec",
  "http",
  "tcp",
  "intervalSeconds",
  "timeoutSeconds",
  "retries",
  "startPeriodSeconds",
];
const PLACEMENT_FIELDS = ["constraints", "strategy"];
const CONSTRAINT_FIELDS = ["label", "operator", "value", "values"];
const OPERATORS = ["==", "!=", "in", "notin", "exists", "notexists"] as const;
const RESTART_FIELDS = ["backoffInitialSeconds", "backoffMaxSeconds", "resetAfterSeconds", "limit"];
const STRATEGY_FIELDS = [
  "maxSurge",
  "maxUnavailable",
  "minReadySeconds",
  "progressDeadlineSeconds",
  "autoRollback",
];
const PERCENT = /^(\d{1,3})%$/;

export function validateHealthCheck(value: unknown, field = "healthCheck"): HealthCheck {
  const obj = object(value, field, "must be an object with one of exec, http or tcp");
  known(obj, HEALTH_FIELDS, field);
  const kinds = ["exec", "http", "tcp"].filter((kind) => obj[kind] !== undefined);
  if (kinds.length !== 1) throw new ValidationError(field, "must have exactly one of exec, http or tcp");
  const check: HealthCheck = {
    intervalSeconds: integer(
      obj.intervalSeconds,
      `${field}.intervalSeconds`,
      1,
      3600,
      DEFAULT_HEALTH_TIMING.intervalSeconds,
    ),
    timeoutSeconds: integer(
      obj.timeoutSeconds,
      `${field}.timeoutSeconds`,
      1,
      3600,
      DEFAULT_HEALTH_TIMING.timeoutSeconds,
    ),
    retries: integer(obj.retries, `${field}.retries`, 1, 100, DEFAULT_HEALTH_TIMING.retries),
    startPeriodSeconds: integer(
      obj.startPeriodSeconds,
      `${field}.startPeriodSeconds`,
      0,
      3600,
      DEFAULT_HEALTH_TIMING.startPeriodSeconds,
    ),
  };
  if (obj.exec !== undefined) {
    if (
      !Array.isArray(obj.exec) ||
      obj.exec.length === 0 ||
      obj.exec.some((arg) => typeof arg !== "string")
    ) {
      throw new ValidationError(
        `${field}.exec`,
        'must be a non-empty array of strings, e.g. ["wget", "-qO-", "http://127.0.0.1:8080/"]',
      );
    }
    check.exec = [...obj.exec];
  }
  if (obj.http !== undefined) {
    const http = object(obj.http, `${field}.http`, "must be an object {path, port}");
    known(http, ["path", "port"], `${field}.http`);
    const path = http.path ?? "/";
    if (typeof path !== "string" || !path.startsWith("/") || /\s/.test(path)) {
      throw new ValidationError(`${field}.http.path`, "must be a path starting with '/' and without spaces");
    }
    check.http = { path, port: port(http.port, `${field}.http.port`) };
  }
  if (obj.tcp !== undefined) {
    const tcp = object(obj.tcp, `${field}.tcp`, "must be an object {port}");
    known(tcp, ["port"], `${field}.tcp`);
    check.tcp = { port: port(tcp.port, `${field}.tcp.port`) };
  }
  return check;
}

export function validatePlacement(value: unknown, field = "placement"): Placement {
  const obj = object(value, field, "must be an object {constraints?, strategy?}");
  known(obj, PLACEMENT_FIELDS, field);
  const placement: Placement = {};
  if (obj.constraints !== undefined) {
    if (!Array.isArray(obj.constraints))
      throw new ValidationError(`${field}.constraints`, "must be an array");
    placement.constraints = obj.constraints.map((item, i) =>
      validateConstraint(item, `${field}.constraints[${i}]`),
    );
  }
  if (obj.strategy !== undefined) {
    if (obj.strategy !== "spread" && obj.strategy !== "binpack") {
      throw new ValidationError(`${field}.strategy`, 'must be "spread" or "binpack"');
    }
    placement.strategy = obj.strategy;
  }
  return placement;
}

function validateConstraint(value: unknown, field: string): Constraint {
  const obj = object(value, field, "must be an object {label, operator, value?, values?}");
  known(obj, CONSTRAINT_FIELDS, field);
  if (typeof obj.label !== "string" || obj.label === "")
    throw new ValidationError(`${field}.label`, "is required");
  const operator = obj.operator ?? "==";
  if (!OPERATORS.includes(operator as Constraint["operator"])) {
    throw new ValidationError(`${field}.operator`, `must be one of ${OPERATORS.join(", ")}`);
  }
  const constraint: Constraint = { label: obj.label, operator: operator as Constraint["operator"] };
  if (operator === "==" || operator === "!=") {
    if (typeof obj.value !== "string")
      throw new ValidationError(`${field}.value`, `is required with ${operator}`);
    constraint.value = obj.value;
  } else if (operator === "in" || operator === "notin") {
    if (
      !Array.isArray(obj.values) ||
      obj.values.length === 0 ||
      obj.values.some((v) => typeof v !== "string")
    ) {
      throw new ValidationError(`${field}.values`, `must be a non-empty array of strings with ${operator}`);
    }
    constraint.values = [...obj.values];
  } else if (obj.value !== undefined || obj.values !== undefined) {
    throw new ValidationError(field, `${operator} takes no value`);
  }
  return constraint;
}

export function validateRestartPolicy(value: unknown, field = "restartPolicy"): RestartPolicy {
  const obj = object(value, field, "must be an object");
  known(obj, RESTART_FIELDS, field);
  const d = DEFAULT_RESTART_POLICY;
  const policy: RestartPolicy = {
    backoffInitialSeconds: integer(
      obj.backoffInitialSeconds,
      `${field}.backoffInitialSeconds`,
      0,
      3600,
      d.backoffInitialSeconds,
    ),
    backoffMaxSeconds: integer(
      obj.backoffMaxSeconds,
      `${field}.backoffMaxSeconds`,
      0,
      86400,
      d.backoffMaxSeconds,
    ),
    resetAfterSeconds: integer(
      obj.resetAfterSeconds,
      `${field}.resetAfterSeconds`,
      1,
      86400,
      d.resetAfterSeconds,
    ),
    limit: integer(obj.limit, `${field}.limit`, 1, 1000, d.limit),
  };
  if (policy.backoffMaxSeconds < policy.backoffInitialSeconds) {
    throw new ValidationError(`${field}.backoffMaxSeconds`, "must not be less than backoffInitialSeconds");
  }
  return policy;
}

export function validateStrategy(value: unknown, field = "strategy"): Partial<RolloutStrategy> {
  const obj = object(value, field, "must be an object");
  known(obj, STRATEGY_FIELDS, field);
  const strategy: Partial<RolloutStrategy> = {};
  if (obj.maxSurge !== undefined) strategy.maxSurge = budget(obj.maxSurge, `${field}.maxSurge`);
  if (obj.maxUnavailable !== undefined)
    strategy.maxUnavailable = budget(obj.maxUnavailable, `${field}.maxUnavailable`);
  if (obj.minReadySeconds !== undefined) {
    strategy.minReadySeconds = integer(obj.minReadySeconds, `${field}.minReadySeconds`, 0, 3600, 0);
  }
  if (obj.progressDeadlineSeconds !== undefined) {
    strategy.progressDeadlineSeconds = integer(
      obj.progressDeadlineSeconds,
      `${field}.progressDeadlineSeconds`,
      1,
      86400,
      0,
    );
  }
  if (obj.autoRollback !== undefined) {
    if (typeof obj.autoRollback !== "boolean")
      throw new ValidationError(`${field}.autoRollback`, "must be true or false");
    strategy.autoRollback = obj.autoRollback;
  }
  const surge = strategy.maxSurge;
  const unavailable = strategy.maxUnavailable;
  if (isZero(surge) && isZero(unavailable)) {
    throw new ValidationError(
      `${field}.maxUnavailable`,
      "may not be 0 when maxSurge is 0: the rollout could never progress",
    );
  }
  return strategy;
}

function isZero(value: number | string | undefined): boolean {
  return value === 0 || value === "0%";
}

function budget(value: unknown, field: string): number | string {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 1000) return value;
  if (typeof value === "string") {
    const match = PERCENT.exec(value);
    if (match && Number(match[1]) <= 100) return value;
  }
  throw new ValidationError(field, 'must be a count from 0 to 1000 or a percentage such as "25%"');
}

function integer(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function port(value: unknown, field: string): number {
  if (value === undefined) throw new ValidationError(field, "is required");
  return integer(value, field, 1, 65535, 0);
}

function object(value: unknown, field: string, message: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ValidationError(field, message);
  return value as Record<string, unknown>;
}

function known(obj: Record<string, unknown>, allowed: string[], field: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(`${field}.${key}`, `unknown field; allowed: ${allowed.join(", ")}`);
    }
  }
}
