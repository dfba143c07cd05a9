// The scheduling pipeline, in order. A node must pass every filter; among those that do, scorers rank them
// one after the other (the first difference decides), and the node name breaks what is left of a tie.
import { nodeReady } from "./filters/node-ready.js";
import { nodeSchedulable } from "./filters/node-schedulable.js";
import { resourcesFit } from "./filters/resources-fit.js";
import type { Pipeline } from "./framework.js";
import { fewestPods } from "./scorers/fewest-pods.js";
import { leastAllocated } from "./scorers/least-allocated.js";
import { spreadDeployment } from "./scorers/spread.js";

export const defaultPipeline: Pipeline = {
  filters: [
    // 1. Only nodes whose worker registered completely: it can run what we give it.
    { name: "node-ready", filter: nodeReady },
    // 2. Cordoned nodes take no new pods.
    { name: "node-schedulable", filter: nodeSchedulable },
    // 3. The pod's cpu and memory requests fit in what the node has left.
    { name: "resources-fit", filter: resourcesFit },
  ],
  scorers: [
    // 1. Spread a deployment's replicas over as many nodes as possible.
    { name: "spread", scorer: spreadDeployment },
    // 2. Then prefer the node with most of its capacity free after placing the pod.
    { name: "least-allocated", scorer: leastAllocated },
    // 3. Then the node with fewest pods; the name breaks remaining ties (see schedule.ts).
    { name: "fewest-pods", scorer: fewestPods },
  ],
};
