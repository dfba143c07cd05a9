// Score: fewer pods in all is better. Separates nodes when pods declare no requests, so that the first
// replicas of different deployments do not all pile onto the same node.
import type { Scorer } from "../framework.js";

export const fewestPods: Scorer = (node, _pod, state) => -state.of(node.name).pods;
