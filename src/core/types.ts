// The cluster's objects as they are stored and served, as TypeScript types. Each comes from its schema in
// src/core/schemas/ (whose descriptions document the fields); a field with a default is present here,
// because validation fills it in.
import type { Static } from "typebox";
import type {
  ConfigData as ConfigDataSchema,
  ConfigInfo as ConfigInfoSchema,
  Config as ConfigSchema,
  ReencryptResult as ReencryptResultSchema,
  SecretData as SecretDataSchema,
  SecretInfo as SecretInfoSchema,
  StoredConfig as StoredConfigSchema,
  StoredSecret as StoredSecretSchema,
} from "./schemas/config-secret.js";
import type {
  Deployment as DeploymentSchema,
  DeploymentSpec as DeploymentSpecSchema,
  DeploymentStatus as DeploymentStatusSchema,
  DeploymentWithStatus as DeploymentWithStatusSchema,
  PodTemplate as PodTemplateSchema,
  PortSpec as PortSpecSchema,
  Resources as ResourcesSchema,
} from "./schemas/deployment.js";
import type { ErrorBody as ErrorBodySchema } from "./schemas/errors.js";
import type { ClusterEvent as ClusterEventSchema } from "./schemas/event.js";
import type {
  Revision as RevisionSchema,
  RollbackResult as RollbackResultSchema,
} from "./schemas/history.js";
import type {
  ConfigRef as ConfigRefSchema,
  SecretRef as SecretRefSchema,
  Volume as VolumeSchema,
} from "./schemas/mounts.js";
import type {
  CordonResult as CordonResultSchema,
  NodeCapacity as NodeCapacitySchema,
  NodeInfo as NodeInfoSchema,
  NodeRemoved as NodeRemovedSchema,
  NodeView as NodeViewSchema,
} from "./schemas/node.js";
import type {
  EvictionResult as EvictionResultSchema,
  PodPhase as PodPhaseSchema,
  Pod as PodSchema,
  PodStatus as PodStatusSchema,
} from "./schemas/pod.js";
import type { NodeUsage as NodeUsageSchema, PodUsage as PodUsageSchema } from "./schemas/pod-io.js";
import type {
  RolloutState as RolloutStateSchema,
  RolloutStatus as RolloutStatusSchema,
  RolloutView as RolloutViewSchema,
} from "./schemas/rollout.js";
import type { PublishedServiceView as PublishedServiceViewSchema } from "./schemas/service.js";
import type { VolumeReport as VolumeReportSchema } from "./schemas/volume.js";
import type {
  Constraint as ConstraintSchema,
  HealthCheck as HealthCheckSchema,
  Placement as PlacementSchema,
  RestartPolicy as RestartPolicySchema,
  RolloutStrategy as RolloutStrategySchema,
} from "./schemas/workload.js";

export type PortSpec = Static<typeof PortSpecSchema>;
export type Resources = Static<typeof ResourcesSchema>;
export type HealthCheck = Static<typeof HealthCheckSchema>;
export type Constraint = Static<typeof ConstraintSchema>;
export type Placement = Static<typeof PlacementSchema>;
export type RestartPolicy = Static<typeof RestartPolicySchema>;
export type Volume = Static<typeof VolumeSchema>;
export type ConfigRef = Static<typeof ConfigRefSchema>;
export type SecretRef = Static<typeof SecretRefSchema>;
export type PodTemplate = Static<typeof PodTemplateSchema>;
/** A rollout strategy with every field resolved (see DEFAULT_STRATEGY); a spec holds a partial one. */
export type RolloutStrategy = Required<Static<typeof RolloutStrategySchema>>;
export type DeploymentSpec = Static<typeof DeploymentSpecSchema>;
export type Deployment = Static<typeof DeploymentSchema>;
export type DeploymentStatus = Static<typeof DeploymentStatusSchema>;
export type DeploymentWithStatus = Static<typeof DeploymentWithStatusSchema>;

export type PodPhase = Static<typeof PodPhaseSchema>;
export type PodStatus = Static<typeof PodStatusSchema>;
export type Pod = Static<typeof PodSchema>;
export type EvictionResult = Static<typeof EvictionResultSchema>;

export type NodeCapacity = Static<typeof NodeCapacitySchema>;
export type NodeInfo = Static<typeof NodeInfoSchema>;
export type NodeRemoved = Static<typeof NodeRemovedSchema>;
export type NodeView = Static<typeof NodeViewSchema>;
export type CordonResult = Static<typeof CordonResultSchema>;

export type Revision = Static<typeof RevisionSchema>;
export type RollbackResult = Static<typeof RollbackResultSchema>;
export type RolloutState = Static<typeof RolloutStateSchema>;
export type RolloutStatus = Static<typeof RolloutStatusSchema>;
export type RolloutView = Static<typeof RolloutViewSchema>;

export type ClusterEvent = Static<typeof ClusterEventSchema>;

export type StoredConfig = Static<typeof StoredConfigSchema>;
export type StoredSecret = Static<typeof StoredSecretSchema>;
export type ConfigData = Static<typeof ConfigDataSchema>;
export type SecretData = Static<typeof SecretDataSchema>;
export type ConfigInfo = Static<typeof ConfigInfoSchema>;
export type Config = Static<typeof ConfigSchema>;
export type SecretInfo = Static<typeof SecretInfoSchema>;
export type ReencryptResult = Static<typeof ReencryptResultSchema>;
export type VolumeReport = Static<typeof VolumeReportSchema>;
export type PublishedServiceView = Static<typeof PublishedServiceViewSchema>;

export type PodUsage = Static<typeof PodUsageSchema>;
export type NodeUsage = Static<typeof NodeUsageSchema>;

export type ErrorBody = Static<typeof ErrorBodySchema>;
export type ErrorKind = ErrorBody["error"];
