// How the controller removes a pod, in one place: today it deletes the pod's key and the worker on its node,
// seeing the pod gone, stops the container. A graceful "mark, then the worker deletes" would change only this.
import type { Pod } from "../core/types.js";
import { keys } from "../store/keys.js";
import type { TxOp } from "../store/store.js";

export function podDeletionOps(pod: Pod): TxOp[] {
  return [{ op: "delete", key: keys.pod(pod.id) }];
}
