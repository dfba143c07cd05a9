// Score (bin-packing): more pods in all is better. Packs pods that declare no requests, which the
// allocation scorers cannot tell apart.
import type { Scorer } from "../framework.js";

export const mostPods: Scorer = (node, _pod, state) => state.of(node.name).pods;
