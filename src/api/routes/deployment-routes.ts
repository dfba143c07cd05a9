// GET/PUT /deployments and GET/DELETE /deployments/:name.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Clock } from "../../core/clock.js";
import { NotFoundError } from "../../core/errors.js";
import type { Deployment, DeploymentSpec, Pod, RolloutStatus } from "../../core/types.js";
import { validateDeploymentSpec, validateName } from "../../core/validation.js";
import { keys } from "../../store/keys.js";
import { baseName } from "../../store/store.js";
import type { ApiStore } from "../deadline-store.js";
import { type DeploymentWithStatus, withStatus } from "../deployment-status.js";
import { applyDeployment, deleteDeployment } from "../deployment-writes.js";
import { UnsupportedMediaTypeError } from "../errors.js";
import { deploymentSpecSchema } from "../openapi.js";
import type { PodCache } from "../pod-cache.js";
import { parseIfMatch } from "../precondition.js";
import { validatorsFor } from "../validators.js";

const nameParams = {
  type: "object",
  required: ["name"],
  properties: { name: deploymentSpecSchema.properties.name },
} as const;

const byName = validatorsFor({
  params: (data) => ({ name: validateName((data as { name?: unknown }).name) }),
});

export function deploymentRoutes(app: FastifyInstance, store: ApiStore, cache: PodCache, clock: Clock): void {
  /** Pods by deployment: from the cache, or while it is not synced, one listing of the store. */
  async function podsByDeployment(): Promise<(deployment: string) => Pod[]> {
    if (cache.synced) return (deployment) => cache.podsOf(deployment);
    const groups = groupByDeployment((await store.list<Pod>(keys.pods)).map((e) => e.value));
    return (deployment) => groups.get(deployment) ?? [];
  }

  app.get("/deployments", async (): Promise<DeploymentWithStatus[]> => {
    const [deployments, podsOf, rollouts] = await Promise.all([
      store.list<Deployment>(keys.deployments),
      podsByDeployment(),
      store.list<RolloutStatus>(keys.rollouts),
    ]);
    const rolloutOf = new Map(rollouts.map((e) => [baseName(e.key), e.value]));
    return deployments.map((e) => withStatus(e.value, podsOf(e.value.name), rolloutOf.get(e.value.name)));
  });

  app.put<{ Body: DeploymentSpec }>(
    "/deployments",
    {
      schema: { body: deploymentSpecSchema },
      validatorCompiler: validatorsFor({ body: validateDeploymentSpec }),
      // Before the body is read: a wrong content type is refused without parsing anything.
      onRequest: async (request) => requireJson(request),
    },
    async (request, reply): Promise<Deployment> => {
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

  app.get<{ Params: { name: string } }>(
    "/deployments/:name",
    { schema: { params: nameParams }, validatorCompiler: byName },
    async (request): Promise<DeploymentWithStatus> => {
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

  app.delete<{ Params: { name: string } }>(
    "/deployments/:name",
    { schema: { params: nameParams }, validatorCompiler: byName },
    async (request): Promise<Deployment> => {
      const precondition = parseIfMatch(request.headers["if-match"]);
      const deleted = await deleteDeployment(store, request.params.name, precondition);
      request.log.info({ deployment: deleted.name, generation: deleted.generation }, "deployment deleted");
      return deleted;
    },
  );
}

function requireJson(request: FastifyRequest): void {
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
