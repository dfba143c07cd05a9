// Every write that binds, unbinds, changes or deletes a pod, as transaction ops. A bound pod also has an
// assignment key under its node (`/assignments/<node>/<pod id>`), and the two always change in one
// transaction: a worker watches only its node's assignments, not every pod of the cluster (the kubelet's
// field selector on spec.nodeName, done with the store's key layout so that ZooKeeper can serve it too).
import type { Pod } from "../core/types.js";
import { keys } from "./keys.js";
import type { TxOp } from "./store.js";

/** What an assignment key holds: enough to name the pod in logs; the pod itself stays at `/pods/<id>`. */
export interface Assignment {
  pod: string;
  deployment: string;
}

/**
 * Ops that write `pod` over the version read (`version`, at which it was bound to `previousNode`), moving its
 * assignment when its node changes.
 */
export function podWriteOps(pod: Pod, version: number, previousNode: string | undefined): TxOp[] {
  const ops: TxOp[] = [{ op: "set", key: keys.pod(pod.id), value: pod, version }];
  if (previousNode === pod.node) return ops;
  if (previousNode !== undefined) ops.push({ op: "delete", key: keys.assignment(previousNode, pod.id) });
  if (pod.node !== undefined) ops.push(assignmentCreateOp(pod, pod.node));
  return ops;
}

/** Ops that delete `pod` (at `version`, if given) and its assignment. */
export function podDeleteOps(pod: Pod, version?: number): TxOp[] {
  const ops: TxOp[] = [{ op: "delete", key: keys.pod(pod.id), version }];
  if (pod.node !== undefined) ops.push({ op: "delete", key: keys.assignment(pod.node, pod.id) });
  return ops;
}

/** Ops that create `pod`, with its assignment when it is created bound (the controller creates pods unbound). */
export function podCreateOps(pod: Pod): TxOp[] {
  const ops: TxOp[] = [{ op: "create", key: keys.pod(pod.id), value: pod }];
  if (pod.node !== undefined) ops.push(assignmentCreateOp(pod, pod.node));
  return ops;
}

function assignmentCreateOp(pod: Pod, node: string): TxOp {
  const assignment: Assignment = { pod: pod.name, deployment: pod.deployment };
  return { op: "create", key: keys.assignment(node, pod.id), value: assignment };
}
