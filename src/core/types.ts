// The cluster's objects as they are stored and served: deployments, pods and nodes.

/** A port a container listens on; a named port gets a DNS SRV record. */
export interface PortSpec {
  name?: string;
  containerPort: number;
  protocol: "tcp" | "udp";
}

/** CPU in millicores (1000 = one core), memory in bytes. */
export interface Resources {
  cpu?: number;
  memory?: number;
}

/** Everything about a pod that a rollout replaces: a change here yields a new revision hash. */
export interface PodTemplate {
  image: string;
  command?: string[];
  env?: Record<string, string>;
  ports?: PortSpec[];
  labels?: Record<string, string>;
  resources?: Resources;
}

/** What a user sends: `PUT /deployments` and `orchestra apply` take this shape. */
export interface DeploymentSpec extends PodTemplate {
  name: string;
  replicas: number;
}

/** A deployment as stored: the spec plus what Orchestra tracks about it. */
export interface Deployment extends DeploymentSpec {
  /** Revision hash of the pod template (everything but name and replicas). */
  hash: string;
  /** Incremented on every change of the spec. */
  generation: number;
  createdAt: string;
  updatedAt: string;
}

/** Counts computed from the deployment's pods when it is read. */
export interface DeploymentStatus {
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
}

export type PodPhase = "Pending" | "Starting" | "Running" | "Failed" | "Succeeded" | "Unknown";

export interface PodStatus {
  phase: PodPhase;
  /** Human-readable reason for the phase, e.g. why a pod is unschedulable. */
  message?: string;
  containerId?: string;
  ip?: string;
  restarts: number;
  startedAt?: string;
}

export interface Pod {
  /** Unique id, also the store key. */
  id: string;
  /** Readable name, `<deployment>-<suffix>`. */
  name: string;
  deployment: string;
  /** Revision hash of the deployment template this pod was made from. */
  hash: string;
  template: PodTemplate;
  /** Node the scheduler bound the pod to; absent while unscheduled. */
  node?: string;
  status: PodStatus;
  createdAt: string;
  updatedAt: string;
}

export interface NodeCapacity {
  cpu: number;
  memory: number;
}

/** A worker's registration. Ephemeral in the store: it disappears with the worker's session. */
export interface NodeInfo {
  name: string;
  address: string;
  labels: Record<string, string>;
  capacity: NodeCapacity;
  podSubnet?: string;
  schedulable: boolean;
  registeredAt: string;
}
