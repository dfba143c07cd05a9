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

/**
 * How a container's health is probed: exactly one of `exec` (healthy on exit 0), `http` (healthy on a
 * 2xx/3xx answer to GET on the pod's IP) or `tcp` (healthy when a connection opens). Failures within
 * `startPeriodSeconds` of the start do not count; `retries` consecutive failures make the pod unhealthy,
 * and an unhealthy pod is not ready (DNS leaves it out) and is restarted.
 */
export interface HealthCheck {
  exec?: string[];
  http?: { path: string; port: number };
  tcp?: { port: number };
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
}

/** A rule on node labels: `==`/`!=` compare with `value`; `in`/`notin` with `values`; `exists`/`notexists`. */
export interface Constraint {
  label: string;
  operator: "==" | "!=" | "in" | "notin" | "exists" | "notexists";
  value?: string;
  values?: string[];
}

/** Where pods may go (`constraints`) and how nodes are ranked: spread evenly or pack tightly. */
export interface Placement {
  constraints?: Constraint[];
  strategy?: "spread" | "binpack";
}

/**
 * Crash handling on a node: restart with a backoff of `backoffInitialSeconds` doubling up to
 * `backoffMaxSeconds`, forgotten after `resetAfterSeconds` of running; after `limit` crashes in a row the
 * pod is rescheduled to another node.
 */
export interface RestartPolicy {
  backoffInitialSeconds: number;
  backoffMaxSeconds: number;
  resetAfterSeconds: number;
  limit: number;
}

/** Everything about a pod that a rollout replaces: a change here yields a new revision hash. */
export interface PodTemplate {
  image: string;
  command?: string[];
  env?: Record<string, string>;
  ports?: PortSpec[];
  labels?: Record<string, string>;
  resources?: Resources;
  healthCheck?: HealthCheck;
  placement?: Placement;
  restartPolicy?: RestartPolicy;
}

/**
 * How a new revision replaces the old one. `maxSurge`/`maxUnavailable`: a count or a percentage of
 * replicas ("25%"). A new pod is available once ready for `minReadySeconds`. A rollout that makes no
 * progress for `progressDeadlineSeconds` fails, and with `autoRollback` returns to the last good revision.
 */
export interface RolloutStrategy {
  maxSurge: number | string;
  maxUnavailable: number | string;
  minReadySeconds: number;
  progressDeadlineSeconds: number;
  autoRollback: boolean;
}

/** What a user sends: `PUT /deployments` and `orchestra apply` take this shape. */
export interface DeploymentSpec extends PodTemplate {
  name: string;
  replicas: number;
  /** Omitted: the defaults of DEFAULT_STRATEGY (25% / 25%, as in Kubernetes, automatic rollback on). */
  strategy?: Partial<RolloutStrategy>;
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
  /** The latest rollout as the controller last recorded it (see RolloutStatus). */
  rollout?: { revision: number; state: RolloutState; message: string };
}

export type PodPhase = "Pending" | "Starting" | "Running" | "Failed" | "Succeeded" | "Unknown";

export interface PodStatus {
  phase: PodPhase;
  /** Running and, when the template has a health check, healthy. Only ready pods are in DNS and count as available. */
  ready?: boolean;
  /** Result of the health check: absent without one. */
  health?: "starting" | "healthy" | "unhealthy";
  /** When the pod became ready (ISO), for `minReadySeconds`. */
  readySince?: string;
  /** Human-readable reason for the phase, e.g. why a pod is unschedulable. */
  message?: string;
  /** One CamelCase word refining the phase for `get pods`' STATUS, e.g. `CrashLoopBackOff` while waiting out a backoff. */
  reason?: string;
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
  /** Nodes this pod was moved away from after crashing past its restart limit: the scheduler avoids them. */
  avoidNodes?: string[];
  /**
   * Set by the controller when it removes a ready pod (ISO time): the pod leaves DNS (its status is made
   * not ready) but keeps running for a drain delay, so that clients that just resolved it are still
   * answered; then the controller deletes it.
   */
  terminatingSince?: string;
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
  /**
   * Set by a worker that stops cleanly, just before its registration goes with its session: a restart in
   * place, so the controller waits longer before it moves the node's pods (see NodeLossOptions).
   */
  stoppingAt?: string;
}

/** One pod template a deployment has had, kept for `rollout history` and rollbacks (`/revisions/<deployment>/<n>`). */
export interface Revision {
  /** 1, 2, ...: a template that comes back (a rollback) gets the next number, as in Kubernetes. */
  revision: number;
  hash: string;
  template: PodTemplate;
  createdAt: string;
  /** Why it appeared: what changed, or which revision it rolls back to. */
  cause: string;
  /** When a rollout of it first completed: only such revisions are targets of an automatic rollback. */
  completedAt?: string;
}

export type RolloutState = "progressing" | "complete" | "failed" | "rolled-back";

/** The controller's view of a deployment's latest rollout (`/rollouts/<deployment>`). */
export interface RolloutStatus {
  revision: number;
  hash: string;
  /** The deployment generation this status reflects. */
  observedGeneration: number;
  state: RolloutState;
  /** Why the state is what it is, e.g. why a rollout failed and where it rolled back to. */
  message: string;
  replicas: number;
  /** Pods of the current revision. */
  updatedReplicas: number;
  /** Ready pods of any revision. */
  readyReplicas: number;
  /** Pods of the current revision ready for at least `minReadySeconds`. */
  availableReplicas: number;
  /** Pods of every revision. */
  totalReplicas: number;
  startedAt: string;
  updatedAt: string;
  /** The last time the rollout moved forward: `progressDeadlineSeconds` counts from here. */
  progressAt: string;
}

/** Something that happened to an object, for `orchestra events` (as `kubectl get events`). */
export interface ClusterEvent {
  /** Also the store key: time-ordered, so a listing is in order. */
  id: string;
  time: string;
  type: "Normal" | "Warning";
  /** One CamelCase word: Scheduled, Started, Unhealthy, Restarted, BackOff, RolledBack, Drained, ... */
  reason: string;
  /** `deployment/web`, `pod/web-x5w4w`, `node/n1`. */
  object: string;
  /** The deployment the object belongs to, so `orchestra events web` shows its pods' events too. */
  deployment?: string;
  message: string;
  /** Which component recorded it: controller, scheduler, worker/<node>, api. */
  source: string;
}
