// Hands each node a /24 of the cluster's pod CIDR through the store: a claim on the subnet and the node's record
// are created in one transaction, so two nodes racing for the same /24 cannot both win (the loser sees a
// lost race and takes the next free one). A node keeps its /24 across restarts; only `orchestra delete node`
// gives it back.
import type { ConflictRetryPolicy } from "../core/conflict-retry.js";
import { ConflictError, ValidationError } from "../core/errors.js";
import { compareAndSet, DELETE, NO_CHANGE } from "../store/compare-and-set.js";
import { keys } from "../store/keys.js";
import { baseName, type Store, type TxOp } from "../store/store.js";
import type { KernelRoute } from "./kernel.js";
import {
  cidrContains,
  DEFAULT_POD_CIDR,
  firstFreeSubnet,
  nodeSubnetCount,
  subnetFromKeyName,
  subnetKeyName,
} from "./pod-cidr.js";
import type { NodeSubnet, PodNetworkConfig, SubnetClaim } from "./records.js";
import { describeRoute, overlappingRoute } from "./route-plan.js";

/**
 * Rounds of lost races before giving up: each round one of the nodes registering at once wins a subnet, so this
 * many nodes may start together. Short waits: a worker's start waits on them.
 */
const CLAIM_RETRY: ConflictRetryPolicy = { attempts: 64, initialDelayMs: 5, maxDelayMs: 100 };

export interface SubnetRequest {
  node: string;
  /** Where other nodes route this node's subnet to. */
  address: string;
  /** `--pod-cidr`, when given: must match the cluster's. Default: the cluster's, or DEFAULT_POD_CIDR on first use. */
  podCidr?: string;
  /** This machine's routes: the pod CIDR must not overlap any of them that is not the pod network's own. */
  routes?: readonly KernelRoute[];
}

export interface NodeSubnetAllocation {
  podCidr: string;
  subnet: string;
}

/**
 * The node's /24: the one it already holds (its address brought up to date), else a free one claimed now. A
 * compare-and-set of the node's record whose write, for a new node, also creates the claim on the subnet: a
 * race for the same /24 is lost by all but one, who decide again on the claims as they are then.
 */
export async function allocateNodeSubnet(
  store: Store,
  request: SubnetRequest,
): Promise<NodeSubnetAllocation> {
  const podCidr = await clusterPodCidr(store, request.podCidr);
  const { after } = await compareAndSet<NodeSubnet, string[]>(
    store,
    keys.nodeSubnet(request.node),
    (own, taken) => subnetDecision(podCidr, request, own?.value, taken),
    {
      context: async () =>
        (await store.list<SubnetClaim>(keys.subnets)).map((claim) => subnetFromKeyName(baseName(claim.key))),
      ops: (key, decision, before) => {
        if (decision === DELETE) return [{ op: "delete", key, version: before?.version }];
        if (before) return [{ op: "set", key, value: decision, version: before.version }];
        const claim: SubnetClaim = { node: request.node };
        return [
          { op: "create", key: keys.subnet(subnetKeyName(decision.subnet)), value: claim },
          { op: "create", key, value: decision },
        ];
      },
      policy: CLAIM_RETRY,
      exhausted: () =>
        new ConflictError(
          `could not claim a pod subnet for node "${request.node}" in ${CLAIM_RETRY.attempts} attempts: other nodes kept taking the one picked`,
        ),
    },
  );
  if (!after) throw new Error(`node "${request.node}" holds no pod subnet after claiming one`);
  return { podCidr, subnet: after.value.subnet };
}

/** Pure: what the node's record should be, given it as read and the subnets claimed (by any node). */
function subnetDecision(
  podCidr: string,
  request: SubnetRequest,
  own: NodeSubnet | undefined,
  taken: string[],
): NodeSubnet | typeof NO_CHANGE {
  if (request.routes) assertNoOverlap(podCidr, request.routes, new Set(taken));
  if (own) {
    if (!cidrContains(podCidr, own.subnet)) {
      throw new ConflictError(
        `node "${request.node}" holds ${own.subnet}, outside the cluster's pod CIDR ${podCidr}`,
      );
    }
    return own.address === request.address ? NO_CHANGE : { ...own, address: request.address };
  }
  const subnet = firstFreeSubnet(podCidr, taken);
  if (subnet === undefined) {
    throw new ConflictError(
      `pod CIDR ${podCidr} is full: all ${nodeSubnetCount(podCidr)} of its /24 subnets belong to nodes; remove nodes that are gone (orchestra delete node NAME) or start the cluster with a larger --pod-cidr`,
    );
  }
  return { node: request.node, subnet, address: request.address };
}

/**
 * The cluster's pod CIDR, recorded in the store by its first user. A `requested` CIDR that differs from the
 * recorded one is refused: a cluster has one address plan.
 */
export async function clusterPodCidr(store: Store, requested?: string): Promise<string> {
  const { after } = await compareAndSet<PodNetworkConfig>(store, keys.podNetwork, (recorded) => {
    if (!recorded) return { cidr: requested ?? DEFAULT_POD_CIDR };
    if (requested !== undefined && requested !== recorded.value.cidr) {
      throw new ValidationError(
        "pod-cidr",
        `${requested} differs from the cluster's pod CIDR ${recorded.value.cidr} (recorded in the store when the cluster was first started); leave --pod-cidr out or give ${recorded.value.cidr}`,
      );
    }
    return NO_CHANGE;
  });
  if (!after) throw new Error("the cluster's pod CIDR is not recorded after recording it");
  return after.value.cidr;
}

/**
 * The ops that give back a node's /24 (its record and its claim), or none when it holds none. For the API's
 * `DELETE /nodes/{name}`, which adds them to its own transaction.
 */
export async function subnetReleaseOps(
  store: Pick<Store, "get">,
  node: string,
): Promise<{ ops: TxOp[]; subnet?: string }> {
  const own = await store.get<NodeSubnet>(keys.nodeSubnet(node));
  if (!own) return { ops: [] };
  const claimKey = keys.subnet(subnetKeyName(own.value.subnet));
  const claim = await store.get<SubnetClaim>(claimKey);
  const ops: TxOp[] = [{ op: "delete", key: keys.nodeSubnet(node), version: own.version }];
  if (claim?.value.node === node) ops.push({ op: "delete", key: claimKey, version: claim.version });
  return { ops, subnet: own.value.subnet };
}

function assertNoOverlap(podCidr: string, routes: readonly KernelRoute[], clusterSubnets: Set<string>): void {
  const clash = overlappingRoute(podCidr, routes, clusterSubnets);
  if (clash) {
    throw new ConflictError(
      `pod CIDR ${podCidr} overlaps this machine's route ${describeRoute(clash)}: start the cluster with another --pod-cidr, or remove that network`,
    );
  }
}
