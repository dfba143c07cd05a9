// The controller: deployments → pods. The Controller component and the parts it is made of.
export { Controller, type ControllerOptions } from "./controller.js";
export {
  DeploymentReconciler,
  type DeploymentReconcilerOptions,
  MAX_OPS_PER_TRANSACTION,
  podsByDeployment,
  type ReconcileOutcome,
} from "./deployment-reconciler.js";
export { Expectations } from "./expectations.js";
export { type PodPlan, planPods, rankForDeletion } from "./plan-pods.js";
export { podDeletionOps } from "./pod-deletion.js";
export { newPod, newPodId, newPodSuffix } from "./pod-factory.js";
