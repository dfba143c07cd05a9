// Creating, updating and deleting a deployment with compare-and-set on the store version, so that two API
// servers writing at once never lose an update: a write that lost the race re-reads and decides again.
import { type Clock, systemClock } from "../core/clock.js";
import { ConflictError, NotFoundError } from "../core/errors.js";
import { publishedPortsOf } from "../core/published-ports.js";
import { canonicalJson, podTemplateOf, revisionHash } from "../core/revision.js";
import type { Deployment, DeploymentSpec } from "../core/types.js";
import { specOf } from "../core/validation.js";
import { compareAndSet, DELETE, keyOps, NO_CHANGE } from "../store/compare-and-set.js";
import { keys } from "../store/keys.js";
import { type ResolvedRefs, resolveDataRefs } from "./data-refs.js";
import type { ApiStore } from "./deadline-store.js";
import { checkPrecondition, type Precondition } from "./precondition.js";
import { type Claims, checkClaims, claimOps, readClaims } from "./published-port-claims.js";

export interface ApplyResult {
  deployment: Deployment;
  /** True if the deployment did not exist before. */
  created: boolean;
  /** False for a PUT identical to what is stored: nothing was written. */
  changed: boolean;
}

/**
 * Create or update; `input` must already be validated. A failed precondition, or a published port another
 * deployment holds, is a 409, never retried. The configs and secrets it names must exist; their versions are
 * pinned as it is written (see data-refs.ts). The port claims are written in the deployment's transaction.
 */
export async function applyDeployment(
  store: ApiStore,
  input: DeploymentSpec,
  precondition: Precondition,
  clock: Clock,
): Promise<ApplyResult> {
  const wanted = publishedPortsOf(input.ports);
  const { before, after, written } = await compareAndSet<Deployment, ResolvedRefs & { claims: Claims }>(
    store,
    keys.deployment(input.name),
    (current, { spec, claims }) => {
      const hash = revisionHash(podTemplateOf(spec));
      checkPrecondition(spec.name, precondition, current?.value);
      checkClaims(spec, claims);
      const now = new Date(clock.now()).toISOString();
      if (!current) return { ...spec, hash, generation: 1, createdAt: now, updatedAt: now };
      const stored = current.value;
      if (sameSpec(stored, spec)) return NO_CHANGE;
      return {
        ...spec,
        hash,
        generation: stored.generation + 1,
        createdAt: stored.createdAt,
        updatedAt: now,
      };
    },
    {
      clock,
      exhausted: () => busy(input.name),
      context: async () => {
        const [refs, claims] = await Promise.all([resolveDataRefs(store, input), readClaims(store)]);
        return { ...refs, claims };
      },
      ops: (key, decision, current, { checks, claims }) => [
        ...keyOps(key, decision, current),
        ...checks,
        ...claimOps(input.name, decision === DELETE ? [] : wanted, claims),
      ],
    },
  );
  return {
    deployment: (after ?? before)?.value as Deployment,
    created: before === undefined,
    changed: written,
  };
}

/** Deletes the deployment's key (its pods are the controller's to remove) and returns what was deleted. */
export async function deleteDeployment(
  store: ApiStore,
  name: string,
  precondition: Precondition,
  clock: Clock = systemClock,
): Promise<Deployment> {
  const { before } = await compareAndSet<Deployment, Claims>(
    store,
    keys.deployment(name),
    (current) => {
      // A missing deployment is a 404 whatever the precondition: there is nothing it could protect.
      if (!current) throw new NotFoundError(`deployment ${name} not found`);
      checkPrecondition(name, precondition, current.value);
      return DELETE;
    },
    {
      clock,
      exhausted: () => busy(name),
      // The deployment's port claims go with it, in the same transaction.
      context: () => readClaims(store),
      ops: (key, decision, current, claims) => [
        ...keyOps(key, decision, current),
        ...claimOps(name, [], claims),
      ],
    },
  );
  return before?.value as Deployment;
}

/** Every attempt lost its race: the 409 says so rather than passing on the store's version mismatch. */
export function busy(name: string): ConflictError {
  return new ConflictError(`deployment ${name} is being changed by others at the same time; retry`);
}

/**
 * Whether a PUT of `spec` would change the stored deployment. Map key order does not count; port order
 * does (it is what GET shows), though it leaves the revision hash alone.
 */
export function sameSpec(stored: Deployment, spec: DeploymentSpec): boolean {
  return canonicalJson(specOf(stored)) === canonicalJson(specOf(spec));
}
