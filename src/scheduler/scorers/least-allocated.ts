// Score: the node with the largest share of its capacity still free after placing the pod is better
// (the mean over cpu and memory). Resources the node does not report count as entirely free.
import type { Scorer } from "../framework.js";

export const leastAllocated: Scorer = (node, pod, state) => {
  const used = state.of(node.name);
  const requests = pod.template.resources;
  const free = (capacity: number | undefined, usedAmount: number, request: number | undefined) =>
    capacity && capacity > 0 ? Math.max(0, capacity - usedAmount - (request ?? 0)) / capacity : 1;
  return (
    (free(node.capacity?.cpu, used.cpu, requests?.cpu) +
      free(node.capacity?.memory, used.memory, requests?.memory)) /
    2
  );
};
