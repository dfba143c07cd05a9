// What the pod network keeps in the store: the cluster's CIDR, and which node holds which /24.

/** `/podnetwork`: written once, by the first worker (or `up`); every later one must agree with it. */
export interface PodNetworkConfig {
  cidr: string;
}

/** `/subnets/<10.42.3.0-24>`: the lock on a /24. Created together with the node's NodeSubnet, in one transaction. */
export interface SubnetClaim {
  node: string;
}

/**
 * `/nodesubnets/<node>`: the node's /24 and the address its pods are routed through. Persistent: it outlives the
 * worker's registration (a restarted worker keeps its subnet, so its adopted containers keep their addresses)
 * and goes only when an operator removes the node (`orchestra delete node`).
 */
export interface NodeSubnet {
  node: string;
  subnet: string;
  address: string;
}
