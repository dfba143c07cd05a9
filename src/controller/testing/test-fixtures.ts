// Objects for the controller's tests: a stored deployment with its real revision hash, and pods of it.
import { podTemplateOf, revisionHash } from "../../core/revision.js";
import type { Deployment, DeploymentSpec, Pod } from "../../core/types.js";

export function deployment(spec: Partial<DeploymentSpec> & { name: string }): Deployment {
  const full: DeploymentSpec = { image: "orchestra/hello", replicas: 3, ...spec };
  return {
    ...full,
    hash: revisionHash(podTemplateOf(full)),
    generation: 1,
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  };
}

export function podOf(
  owner: Deployment,
  id: string,
  extra: { node?: string; phase?: Pod["status"]["phase"]; createdAt?: string; hash?: string } = {},
): Pod {
  return {
    id,
    name: `${owner.name}-${id.slice(0, 5)}`,
    deployment: owner.name,
    hash: extra.hash ?? owner.hash,
    template: podTemplateOf(owner),
    ...(extra.node ? { node: extra.node } : {}),
    status: { phase: extra.phase ?? "Pending", restarts: 0 },
    createdAt: extra.createdAt ?? "2024-01-01T00:00:00.000Z",
    updatedAt: extra.createdAt ?? "2024-01-01T00:00:00.000Z",
  };
}
