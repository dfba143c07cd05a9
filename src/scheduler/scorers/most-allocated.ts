// Score (bin-packing): the node with the largest share of its capacity in use after placing the pod is
// better (the mean over cpu and memory), so that pods fill nodes one after the other and whole nodes stay free.
import type { Scorer } from "../framework.js";
import { leastAllocated } from "./least-allocated.js";

export const mostAllocated: Scorer = (node, pod, state) => 1 - leastAllocated(node, pod, state);
