// Creating, updating and deleting a deployment with compare-and-set on the store version, so that two API
// servers writing at once never lose an update: a write that lost the race re-reads and decides again.
import type { Clock } from "../core/clock.js";
import { ConflictError, NotFoundError } from "../core/errors.js";
import { canonicalJson, podTemplateOf, revisionHash } from "../core/revision.js";
import type { Deployment, DeploymentSpec } from "../core/types.js";
import { specOf } from "../core/validation.js";
import { keys } from "../store/keys.js";
import type { ApiStore } from "./deadline-store.js";
import { checkPrecondition, type Precondition } from "./precondition.js";

/** Attempts before a write that keeps losing races gives up with a 409. */
const MAX_ATTEMPTS = 10;

export interface ApplyResult {
  deployment: Deployment;
  /** True if the deployment did not exist before. */
  created: boolean;
  /** False for a PUT identical to what is stored: nothing was written. */
  changed: boolean;
}

/** Create or update; `spec` must already be validated. */
export async function applyDeployment(
  store: ApiStore,
  spec: DeploymentSpec,
  precondition: Precondition,
  clock: Clock,
): Promise<ApplyResult> {
  const key = keys.deployment(spec.name);
  const hash = revisionHash(podTemplateOf(spec));
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await store.get<Deployment>(key);
    checkPrecondition(spec.name, precondition, current?.value);
    const now = new Date(clock.now()).toISOString();
    try {
      if (!current) {
        const deployment: Deployment = { ...spec, hash, generation: 1, createdAt: now, updatedAt: now };
        await store.create(key, deployment);
        return { deployment, created: true, changed: true };
      }
      const stored = current.value;
      if (sameSpec(stored, spec)) return { deployment: stored, created: false, changed: false };
      const deployment: Deployment = {
        ...spec,
        hash,
        generation: stored.generation + 1,
        createdAt: stored.createdAt,
        updatedAt: now,
      };
      await store.set(key, deployment, current.version);
      return { deployment, created: false, changed: true };
    } catch (error) {
      // Someone else created, changed or deleted it between our read and our write: decide again.
      if (error instanceof ConflictError || error instanceof NotFoundError) continue;
      throw error;
    }
  }
  throw new ConflictError(`deployment ${spec.name} is being changed by others at the same time; retry`);
}

/** Deletes the deployment's key (its pods are the controller's to remove) and returns what was deleted. */
export async function deleteDeployment(
  store: ApiStore,
  name: string,
  precondition: Precondition,
): Promise<Deployment> {
  const key = keys.deployment(name);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await store.get<Deployment>(key);
    // A missing deployment is a 404 whatever the precondition: there is nothing it could protect.
    if (!current) throw new NotFoundError(`deployment ${name} not found`);
    checkPrecondition(name, precondition, current.value);
    try {
      await store.delete(key, current.version);
      return current.value;
    } catch (error) {
      if (error instanceof ConflictError || error instanceof NotFoundError) continue;
      throw error;
    }
  }
  throw new ConflictError(`deployment ${name} is being changed by others at the same time; retry`);
}

/**
 * Whether a PUT of `spec` would change the stored deployment. Map key order does not count; port order
 * does (it is what GET shows), though it leaves the revision hash alone.
 */
export function sameSpec(stored: Deployment, spec: DeploymentSpec): boolean {
  return canonicalJson(specOf(stored)) === canonicalJson(specOf(spec));
}
