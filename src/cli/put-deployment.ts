// Creates or replaces one deployment and says what happened, kubectl-style: created, configured or unchanged.
import type { DeploymentSpec } from "../core/types.js";
import type { ApiClient } from "./api-client.js";

export type PutOutcome = "created" | "configured" | "unchanged";

/**
 * The server answers 201 or 200; to tell "configured" from "unchanged" we read the deployment first:
 * the same revision hash (the pod template) and the same replicas mean the PUT changed nothing.
 */
export async function putDeployment(client: ApiClient, spec: DeploymentSpec): Promise<PutOutcome> {
  const before = typeof spec.name === "string" ? await client.findDeployment(spec.name) : undefined;
  const { deployment, created } = await client.putDeployment(spec);
  if (created) return "created";
  if (before && before.hash === deployment.hash && before.replicas === deployment.replicas)
    return "unchanged";
  return "configured";
}
