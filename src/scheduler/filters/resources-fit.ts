// Feasibility: the pod's requests fit in the node's capacity minus what its bound pods request. A pod
// without requests fits anywhere, and a capacity the node does not report (0 or absent) is not enforced.
import { type Filter, feasible, infeasible } from "../framework.js";

export const resourcesFit: Filter = (node, pod, state) => {
  const requests = pod.template.resources;
  if (!requests) return feasible;
  const used = state.of(node.name);
  const cpuCapacity = node.capacity?.cpu ?? 0;
  if (requests.cpu && cpuCapacity > 0 && used.cpu + requests.cpu > cpuCapacity) {
    return infeasible("insufficient cpu");
  }
  const memoryCapacity = node.capacity?.memory ?? 0;
  if (requests.memory && memoryCapacity > 0 && used.memory + requests.memory > memoryCapacity) {
    return infeasible("insufficient memory");
  }
  return feasible;
};
