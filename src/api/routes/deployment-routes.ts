// GET/PUT /deployments and GET/DELETE /deployments/:name.
import type { FastifyRequest } from "fastify";
import Type from "typebox";
import type { Clock } from "../../core/clock.js";
import { NotFoundError } from "../../core/errors.js";
import {
  DeploymentNameParams,
  Deployment as DeploymentSchema,
  DeploymentSpec,
  DeploymentWithStatus,
  IfMatchHeaders,
} from "../../core/schemas/deployment.js";
import { DeleteDeploymentQuery } from "../../core/schemas/volume.js";
import type { Deployment, Pod, RolloutStatus } from "../../core/types.js";
import { keys } from "../../store/keys.js";
import { baseName } from "../../store/store.js";
import type { ApiApp } from "../api-app.js";
import type { ApiStore } from "../deadline-store.js";
import { withStatus } from "../deployment-status.js";
import { applyDeployment, deleteDeployment } from "../deployment-writes.js";
import { UnsupportedMediaTypeError } from "../errors.js";
import type { PodCache } from "../pod-cache.js";
import { parseIfMatch } from "../precondition.js";
import { BODY_ERRORS, described, STORE_ERRORS, withErrors } from "../responses.js";
import { markVolumesForPurge } from "../volume-purge.js";

const BAD_NAME = "The name is not a DNS label.";

export function deploymentRoutes(app: ApiApp, store: ApiStore, cache: PodCache, clock: Clock): void {
  /** Pods by deployment: from the cache, or while it is not synced, one listing of the store. */
  async function podsByDeployment(): Promise<(deployment: string) => Pod[]> {
    if (cache.synced) return (deployment) => cache.podsOf(deployment);
    const groups = groupByDeployment((await store.list<Pod>(keys.pods)).map((e) => e.value));
    return (deployment) => groups.get(deployment) ?? [];
  }

  app.get(
    "/deployments",
    {
      schema: {
        summary: "List deployments with their status",
        response: withErrors(
          { 200: Type.Array(DeploymentWithStatus, { description: "All deployments, sorted by name." }) },
          STORE_ERRORS,
        ),
      },
    },
    async () => {
      const [deployments, podsOf, rollouts] = await Promise.all([
        store.list<Deployment>(keys.deployments),
        podsByDeployment(),
        store.list<RolloutStatus>(keys.rollouts),
      ]);
      const rolloutOf = new Map(rollouts.map((e) => [baseName(e.key), e.value]));
      return deployments.map((e) => withStatus(e.value, podsOf(e.value.name), rolloutOf.get(e.value.name)));
    },
  );

  app.put(
    "/deployments",
    {
      schema: {
        summary: "Create or update a deployment",
        description:
          "Creates the deployment (201) or updates it (200). A PUT identical to the stored spec changes nothing: generation and updatedAt stay.",
        body: DeploymentSpec,
        headers: IfMatchHeaders,
        response: withErrors(
          {
            200: described(DeploymentSchema, "Updated, or unchanged."),
            201: described(DeploymentSchema, "Created."),
          },
          {
            ...STORE_ERRORS,
            ...BODY_ERRORS,
            409: "The If-Match precondition failed, or the write kept losing races.",
          },
        ),
      },
      // Before the body is read: a wrong content type is refused without parsing anything.
      onRequest: async (request) => requireJson(request),
    },
    async (request, reply) => {
      const precondition = parseIfMatch(request.headers["if-match"]);
      const result = await applyDeployment(store, request.body, precondition, clock);
      if (result.changed) {
        request.log.info(
          {
            deployment: result.deployment.name,
            generation: result.deployment.generation,
            hash: result.deployment.hash,
          },
          result.created ? "deployment created" : "deployment updated",
        );
      }
      if (result.created) reply.status(201).header("location", `/deployments/${result.deployment.name}`);
      return result.deployment;
    },
  );

  app.get(
    "/deployments/:name",
    {
      schema: {
        summary: "Read one deployment with its status",
        params: DeploymentNameParams,
        response: withErrors(
          { 200: DeploymentWithStatus },
          { ...STORE_ERRORS, 400: BAD_NAME, 404: "No such deployment." },
        ),
      },
    },
    async (request) => {
      const { name } = request.params;
      const [entry, podsOf, rollout] = await Promise.all([
        store.get<Deployment>(keys.deployment(name)),
        podsByDeployment(),
        store.get<RolloutStatus>(keys.rollout(name)),
      ]);
      if (!entry) throw new NotFoundError(`deployment ${name} not found`);
      return withStatus(entry.value, podsOf(name), rollout?.value);
    },
  );

  app.delete(
    "/deployments/:name",
    {
      schema: {
        summary: "Delete a deployment (the controller then removes its pods)",
        params: DeploymentNameParams,
        querystring: DeleteDeploymentQuery,
        headers: IfMatchHeaders,
        response: withErrors(
          { 200: described(DeploymentSchema, "The deleted deployment.") },
          {
            ...STORE_ERRORS,
            ...BODY_ERRORS,
            400: `${BAD_NAME} Or If-Match is malformed, or the request breaks its schema.`,
            404: "No such deployment (whatever If-Match says).",
            409: "The If-Match precondition failed.",
          },
        ),
      },
    },
    async (request) => {
      const precondition = parseIfMatch(request.headers["if-match"]);
      const deleted = await deleteDeployment(store, request.params.name, precondition);
      const purging = request.query.purgeVolumes ? await markVolumesForPurge(store, deleted.name, clock) : 0;
      request.log.info(
        { deployment: deleted.name, generation: deleted.generation, purgingVolumes: purging },
        "deployment deleted",
      );
      return deleted;
    },
  );
}

/** A body of any other content type is refused (415) before it is read. */
export function requireJson(request: FastifyRequest): void {
  const contentType = request.headers["content-type"];
  const media = contentType?.split(";")[0]?.trim().toLowerCase();
  if (media !== "application/json") {
    throw new UnsupportedMediaTypeError(
      `content-type: must be application/json, not ${contentType === undefined ? "missing" : JSON.stringify(contentType)}`,
    );
  }
}

function groupByDeployment(pods: Pod[]): Map<string, Pod[]> {
  const groups = new Map<string, Pod[]>();
  for (const pod of pods) {
    const name = pod?.deployment;
    if (typeof name !== "string") continue;
    const group = groups.get(name);
    if (group) group.push(pod);
    else groups.set(name, [pod]);
  }
  return groups;
}
