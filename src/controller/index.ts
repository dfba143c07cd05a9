// The controller: deployments → pods. The Controller component and the parts it is made of.
export { Controller, type ControllerOptions, DEFAULT_DRAIN_MS } from "./controller.js";
export {
  DeploymentReconciler,
  type DeploymentReconcilerOptions,
  MAX_OPS_PER_TRANSACTION,
  podsByDeployment,
  type ReconcileOutcome,
} from "./deployment-reconciler.js";
export { Expectations } from "./expectations.js";
export { NodeLifecycle, type NodeLifecycleOptions } from "./node-lifecycle.js";
export {
  DEFAULT_NODE_LOSS,
  decideNodeLoss,
  type NodeLossDecision,
  type NodeLossInput,
  type NodeLossMode,
  type NodeLossOptions,
  type NodeLossState,
} from "./node-loss-plan.js";
export { type PodPlan, planPods, rankForDeletion } from "./plan-pods.js";
export { PodDrain } from "./pod-drain.js";
export { newPod, newPodId, newPodSuffix } from "./pod-factory.js";
export {
  deploymentAtRevision,
  describeChange,
  lastGoodRevision,
  previousRevision,
  REVISION_HISTORY_LIMIT,
  sortRevisions,
} from "./revisions.js";
export {
  budgetOf,
  countPods,
  failingPodReason,
  isAvailable,
  isComplete,
  isReady,
  planRollout,
  type RolloutBudget,
  type RolloutCounts,
  type RolloutPlan,
} from "./rollout-plan.js";
export { advanceRollout, type ProgressDecision, type ProgressInput } from "./rollout-progress.js";
export { RolloutReconciler, type RolloutSyncInput, type RolloutSyncOutcome } from "./rollout-reconciler.js";
