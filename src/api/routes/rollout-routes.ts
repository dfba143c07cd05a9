// GET /deployments/:name/rollout and /history, POST /deployments/:name/rollback: a deployment's rollout
// as the controller records it, its revisions, and going back to one of them.
import type { FastifyInstance } from "fastify";
import { deploymentAtRevision, previousRevision, sortRevisions } from "../../controller/revisions.js";
import type { Clock } from "../../core/clock.js";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.js";
import type { Deployment, Revision, RolloutStatus } from "../../core/types.js";
import { validateName } from "../../core/validation.js";
import { compareAndSet } from "../../store/compare-and-set.js";
import { keys } from "../../store/keys.js";
import type { ApiStore } from "../deadline-store.js";
import { busy } from "../deployment-writes.js";
import { deploymentSpecSchema } from "../openapi.js";
import { validatorsFor } from "../validators.js";

/** The rollout status plus whether the controller has seen the deployment's latest spec yet. */
export type RolloutView = RolloutStatus & { observed: boolean };

export interface RollbackResult {
  deployment: Deployment;
  /** The revision whose template the deployment now has. */
  toRevision: number;
}

const nameParams = {
  type: "object",
  required: ["name"],
  properties: { name: deploymentSpecSchema.properties.name },
} as const;

const rollbackBody = {
  type: "object",
  additionalProperties: false,
  properties: { toRevision: { type: "integer", minimum: 1 } },
} as const;

const byName = validatorsFor({
  params: (data) => ({ name: validateName((data as { name?: unknown }).name) }),
});

function parseRollbackBody(data: unknown): { toRevision?: number } {
  if (data === undefined || data === null) return {};
  if (typeof data !== "object" || Array.isArray(data)) throw new ValidationError("body", "must be an object");
  const { toRevision, ...rest } = data as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ValidationError(unknown, "unknown field; allowed: toRevision");
  if (toRevision === undefined) return {};
  if (typeof toRevision !== "number" || !Number.isInteger(toRevision) || toRevision < 1)
    throw new ValidationError("toRevision", "must be a revision number (an integer from 1)");
  return { toRevision };
}

export function rolloutRoutes(app: FastifyInstance, store: ApiStore, clock: Clock): void {
  const deploymentOf = async (name: string) => {
    const entry = await store.get<Deployment>(keys.deployment(name));
    if (!entry) throw new NotFoundError(`deployment ${name} not found`);
    return entry;
  };
  const historyOf = async (name: string) =>
    sortRevisions((await store.list<Revision>(keys.revisions(name))).map((entry) => entry.value));

  app.get<{ Params: { name: string } }>(
    "/deployments/:name/rollout",
    { schema: { params: nameParams }, validatorCompiler: byName },
    async (request): Promise<RolloutView> => {
      const { name } = request.params;
      const [deployment, status] = await Promise.all([
        deploymentOf(name),
        store.get<RolloutStatus>(keys.rollout(name)),
      ]);
      const current = deployment.value;
      if (!status) {
        const now = new Date(clock.now()).toISOString();
        return {
          revision: 0,
          hash: current.hash,
          observedGeneration: 0,
          state: "progressing",
          message: "waiting for the controller to observe the deployment",
          replicas: current.replicas,
          updatedReplicas: 0,
          readyReplicas: 0,
          availableReplicas: 0,
          totalReplicas: 0,
          startedAt: now,
          updatedAt: now,
          progressAt: now,
          observed: false,
        };
      }
      const observed =
        status.value.hash === current.hash && status.value.observedGeneration >= current.generation;
      return { ...status.value, observed };
    },
  );

  app.get<{ Params: { name: string } }>(
    "/deployments/:name/history",
    { schema: { params: nameParams }, validatorCompiler: byName },
    async (request): Promise<Revision[]> => {
      const { name } = request.params;
      const [, history] = await Promise.all([deploymentOf(name), historyOf(name)]);
      return history;
    },
  );

  app.post<{ Params: { name: string }; Body: { toRevision?: number } }>(
    "/deployments/:name/rollback",
    {
      schema: { params: nameParams, body: rollbackBody },
      validatorCompiler: validatorsFor({
        params: (data) => ({ name: validateName((data as { name?: unknown }).name) }),
        body: parseRollbackBody,
      }),
    },
    async (request): Promise<RollbackResult> => {
      const { name } = request.params;
      const wanted = request.body?.toRevision;
      let target: Revision | undefined;
      const { after } = await compareAndSet<Deployment, Revision[]>(
        store,
        keys.deployment(name),
        (entry, history) => {
          if (!entry) throw new NotFoundError(`deployment ${name} not found`);
          const current = entry.value;
          target =
            wanted === undefined
              ? previousRevision(history, current.hash)
              : history.find((revision) => revision.revision === wanted);
          if (!target) {
            if (wanted !== undefined) throw new NotFoundError(`deployment ${name} has no revision ${wanted}`);
            throw new ConflictError(`deployment ${name} has no earlier revision to roll back to`);
          }
          if (target.hash === current.hash)
            throw new ConflictError(
              `deployment ${name} already runs the template of revision ${target.revision}`,
            );
          return deploymentAtRevision(current, target, new Date(clock.now()).toISOString());
        },
        { context: () => historyOf(name), clock, exhausted: () => busy(name) },
      );
      const next = after?.value as Deployment;
      const toRevision = (target as Revision).revision;
      request.log.info({ deployment: name, toRevision, hash: next.hash }, "rollback");
      return { deployment: next, toRevision };
    },
  );
}
