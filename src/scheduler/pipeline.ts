// The scheduling pipeline, in order. A node must pass every filter; among those that do, scorers rank them
// one after the other (the first difference decides), and the node name breaks what is left of a tie.
import { avoidNodes } from "./filters/avoid-nodes.js";
import { constraintsMatch } from "./filters/constraints-match.js";
import { nodeReady } from "./filters/node-ready.js";
import { nodeSchedulable } from "./filters/node-schedulable.js";
import { resourcesFit } from "./filters/resources-fit.js";
import { volumeData } from "./filters/volume-data.js";
import type { Pipeline } from "./framework.js";
import { byStrategy } from "./scorers/by-strategy.js";
import { fewestPods } from "./scorers/fewest-pods.js";
import { leastAllocated } from "./scorers/least-allocated.js";
import { mostAllocated } from "./scorers/most-allocated.js";
import { mostPods } from "./scorers/most-pods.js";
import { spreadDeployment } from "./scorers/spread.js";

const noPreference = () => 0;

export const defaultPipeline: Pipeline = {
  filters: [
    // 1. Only nodes whose worker registered completely: it can run what we give it.
    { name: "node-ready", filter: nodeReady },
    // 2. Cordoned nodes take no new pods.
    { name: "node-schedulable", filter: nodeSchedulable },
    // 3. The pod's cpu and memory requests fit in what the node has left.
    { name: "resources-fit", filter: resourcesFit },
    // 4. The node's labels meet the pod's placement constraints.
    { name: "constraints", filter: constraintsMatch },
    // 5. Where its named volumes' data is, once a node holds it.
    { name: "volume-data", filter: volumeData },
    // 6. Not where the pod crash-looped before; soft, so a pod that failed everywhere still runs somewhere.
    { name: "avoid-nodes", filter: avoidNodes, soft: true },
  ],
  scorers: [
    // 1. Spread a deployment's replicas over as many nodes as possible (bin-packing does not care).
    { name: "spread", scorer: byStrategy({ spread: spreadDeployment, binpack: noPreference }) },
    // 2. Then by allocation after placing the pod: least allocated for "spread", most for "binpack".
    { name: "allocation", scorer: byStrategy({ spread: leastAllocated, binpack: mostAllocated }) },
    // 3. Then by pod count (fewest, or most when packing); the name breaks remaining ties (see schedule.ts).
    { name: "pod-count", scorer: byStrategy({ spread: fewestPods, binpack: mostPods }) },
  ],
};
