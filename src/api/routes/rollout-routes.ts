// GET /deployments/:name/rollout and /history, POST /deployments/:name/rollback: a deployment's rollout
// as the controller records it, its revisions, and going back to one of them.

import Type from "typebox";
import { deploymentAtRevision, previousRevision, sortRevisions } from "../../controller/revisions.js";
import type { Clock } from "../../core/clock.js";
import { ConflictError, NotFoundError } from "../../core/errors.js";
import { DeploymentNameParams } from "../../core/schemas/deployment.js";
import { Revision as RevisionSchema, RollbackRequest, RollbackResult } from "../../core/schemas/history.js";
import { RolloutView } from "../../core/schemas/rollout.js";
import type { Deployment, Revision, RolloutStatus } from "../../core/types.js";
import { compareAndSet } from "../../store/compare-and-set.js";
import { keys } from "../../store/keys.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { busy } from "../deployment-writes.js";
import { BODY_ERRORS, STORE_ERRORS, withErrors } from "../responses.js";

export type { RollbackResult, RolloutView } from "../../core/types.js";

export function rolloutRoutes(app: ApiApp, store: ApiStore, clock: Clock): void {
  const deploymentOf = async (name: string) => {
    const entry = await store.get<Deployment>(keys.deployment(name));
    if (!entry) throw new NotFoundError(`deployment ${name} not found`);
    return entry;
  };
  const historyOf = async (name: string) =>
    sortRevisions((await store.list<Revision>(keys.revisions(name))).map((entry) => entry.value));

  app.get(
    "/deployments/:name/rollout",
    {
      config: { role: "viewer" },
      schema: {
        summary: "The deployment's latest rollout: state, counts, and why it failed or was rolled back",
        params: DeploymentNameParams,
        response: withErrors(
          { 200: RolloutView },
          { ...STORE_ERRORS, 400: "The name is not a DNS label.", 404: "No such deployment." },
        ),
      },
    },
    async (request) => {
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
          state: "progressing" as const,
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

  app.get(
    "/deployments/:name/history",
    {
      config: { role: "viewer" },
      schema: {
        summary: "The deployment's revisions, oldest first",
        params: DeploymentNameParams,
        response: withErrors(
          { 200: Type.Array(RevisionSchema, { description: "Revisions, oldest first." }) },
          { ...STORE_ERRORS, 400: "The name is not a DNS label.", 404: "No such deployment." },
        ),
      },
    },
    async (request) => {
      const { name } = request.params;
      const [, history] = await Promise.all([deploymentOf(name), historyOf(name)]);
      return history;
    },
  );

  app.post(
    "/deployments/:name/rollback",
    {
      config: { role: "deployer" },
      schema: {
        summary: "Go back to the previous revision's pod template, or to `toRevision`",
        params: DeploymentNameParams,
        body: RollbackRequest,
        response: withErrors(
          { 200: RollbackResult },
          {
            ...STORE_ERRORS,
            ...BODY_ERRORS,
            404: "No such deployment, or no such revision.",
            409: "No earlier revision, or the deployment already has that template.",
          },
        ),
      },
    },
    async (request) => {
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
