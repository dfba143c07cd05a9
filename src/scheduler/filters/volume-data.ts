// Feasibility: a pod whose named volume already exists somewhere goes only to a node that holds it. Docker's local
// volumes live on their machine's disk, so the data is there and nowhere else (as with Swarm's and Nomad's local
// volumes). A volume that no node holds yet (a new deployment) puts no limit: the node the pod lands on makes it.
import { dockerVolumeName } from "../../core/mount-rules.js";
import { type Filter, feasible, infeasible } from "../framework.js";

export const volumeData: Filter = (node, pod, state) => {
  for (const volume of pod.template.volumes ?? []) {
    if (volume.tmpfs !== undefined || volume.hostPath !== undefined) continue;
    const holders = state.volumeHolders(dockerVolumeName(pod.deployment, volume.name));
    if (holders.size > 0 && !holders.has(node.name)) return infeasible("do not hold volume data");
  }
  return feasible;
};
