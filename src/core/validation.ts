// Checks a user's deployment (from the API or a CLI file) and returns it normalized, or throws a
// ValidationError naming the offending field. The rules are the schemas of src/core/schemas/deployment.ts
// and the checks attached to them; CLI and API share them, and so their messages.
import { checkerFor, checkValue } from "./schema-check.js";
import { fieldsOf } from "./schemas/common.js";
import {
  DeploymentName,
  DeploymentSpec as DeploymentSpecSchema,
  ImageReference,
} from "./schemas/deployment.js";
import type { DeploymentSpec } from "./types.js";

export { MAX_REPLICAS } from "./schemas/deployment.js";

/** The fields a user may set: what `PUT /deployments` accepts and `specOf` keeps. */
export const SPEC_FIELDS = fieldsOf(DeploymentSpecSchema);

const checkSpec = checkerFor(DeploymentSpecSchema);

/** Validates `input` as a DeploymentSpec; returns a normalized copy with defaults filled in. */
export function validateDeploymentSpec(input: unknown): DeploymentSpec {
  const spec = checkSpec(input);
  if (spec.replicas === 0) spec.replicas = 0; // -0, which JSON can carry, is stored as 0
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
  return checkValue(DeploymentName, value, field);
}

/** A Docker image reference: `[registry[:port]/]path[:tag][@algorithm:hex]`. */
export function validateImage(value: unknown, field = "image"): string {
  return checkValue(ImageReference, value, field);
}

/** A deployment's replicas, e.g. from `orchestra scale`: an integer from 0 to MAX_REPLICAS. */
export function validateReplicas(value: unknown): number {
  return checkValue(DeploymentSpecSchema.properties.replicas, value, "replicas");
}
