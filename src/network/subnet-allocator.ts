// Hands each node a /24 of the cluster's pod CIDR through the store: a claim on the subnet and the node's record
// are created in one transaction, so two nodes racing for the same /24 cannot both win (the loser sees a
// conflict and takes the next free one). A node keeps its /24 across restarts; only `orchestra delete node`
// gives it back.
import { ConflictError, NotFoundError, ValidationError } from "../core/errors.js";
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

/** Attempts before giving up when other nodes keep taking the subnet just picked. */
const MAX_ATTEMPTS = 64;

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

/** The node's /24: the one it already holds, else a free one claimed now. */
export async function allocateNodeSubnet(
  store: Store,
  request: SubnetRequest,
): Promise<NodeSubnetAllocation> {
  const podCidr = await clusterPodCidr(store, request.podCidr);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [own, claims] = await Promise.all([
      store.get<NodeSubnet>(keys.nodeSubnet(request.node)),
      store.list<SubnetClaim>(keys.subnets),
    ]);
    const taken = claims.map((claim) => subnetFromKeyName(baseName(claim.key)));
    if (request.routes) assertNoOverlap(podCidr, request.routes, new Set(taken));
    if (own) {
      if (!cidrContains(podCidr, own.value.subnet)) {
        throw new ConflictError(
          `node "${request.node}" holds ${own.value.subnet}, outside the cluster's pod CIDR ${podCidr}`,
        );
      }
      if (own.value.address === request.address) return { podCidr, subnet: own.value.subnet };
      try {
        await store.set<NodeSubnet>(
          keys.nodeSubnet(request.node),
          { ...own.value, address: request.address },
          own.version,
        );
        return { podCidr, subnet: own.value.subnet };
      } catch (err) {
        if (err instanceof ConflictError || err instanceof NotFoundError) continue;
        throw err;
      }
    }
    const subnet = firstFreeSubnet(podCidr, taken);
    if (subnet === undefined) {
      throw new ConflictError(
        `pod CIDR ${podCidr} is full: all ${nodeSubnetCount(podCidr)} of its /24 subnets belong to nodes; remove nodes that are gone (orchestra delete node NAME) or start the cluster with a larger --pod-cidr`,
      );
    }
    try {
      await store.transaction([
        {
          op: "create",
          key: keys.subnet(subnetKeyName(subnet)),
          value: { node: request.node } satisfies SubnetClaim,
        },
        {
          op: "create",
          key: keys.nodeSubnet(request.node),
          value: { node: request.node, subnet, address: request.address } satisfies NodeSubnet,
        },
      ]);
      return { podCidr, subnet };
    } catch (err) {
      // Someone took that subnet (or this node's record appeared): look again.
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  throw new ConflictError(
    `could not claim a pod subnet for node "${request.node}" in ${MAX_ATTEMPTS} attempts`,
  );
}

/**
 * The cluster's pod CIDR, recorded in the store by its first user. A `requested` CIDR that differs from the
 * recorded one is refused: a cluster has one address plan.
 */
export async function clusterPodCidr(store: Store, requested?: string): Promise<string> {
  for (;;) {
    const recorded = await store.get<PodNetworkConfig>(keys.podNetwork);
    if (recorded) {
      if (requested !== undefined && requested !== recorded.value.cidr) {
        throw new ValidationError(
          "pod-cidr",
          `${requested} differs from the cluster's pod CIDR ${recorded.value.cidr} (recorded in the store when the cluster was first started); leave --pod-cidr out or give ${recorded.value.cidr}`,
        );
      }
      return recorded.value.cidr;
    }
    try {
      const cidr = requested ?? DEFAULT_POD_CIDR;
      await store.create<PodNetworkConfig>(keys.podNetwork, { cidr });
      return cidr;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // another node recorded it first: read theirs
    }
  }
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
