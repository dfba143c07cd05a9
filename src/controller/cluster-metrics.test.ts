import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Pod } from "../core/types.js";
import { metricsText } from "../metrics/metrics-registry.js";
import { attachClusterMetrics, nodeStatuses } from "./cluster-metrics.js";

function pod(name: string, phase: Pod["status"]["phase"], node?: string): Pod {
  return { name, node, status: { phase } } as unknown as Pod;
}

describe("cluster metrics", () => {
  const pods = [pod("a", "Running", "n1"), pod("b", "Running", "gone"), pod("c", "Pending")];

  test("nodes are Ready while registered, NotReady while pods are bound to them without a worker", () => {
    const statuses = nodeStatuses({ pods: { list: () => pods }, nodes: { names: () => ["n1", "n2"] } });
    assert.deepEqual(statuses.sort(), ["NotReady", "Ready", "Ready"]);
  });

  test("pods by phase, nodes by status and rollouts by state, every known value present, until detached", async () => {
    const detach = attachClusterMetrics({
      pods: { list: () => pods },
      nodes: { names: () => ["n1"] },
      rolloutStates: () => ["complete", "complete", "failed"],
    });
    const text = await metricsText();
    detach();
    const expected = [
      'orchestra_pods{phase="Running"} 2',
      'orchestra_pods{phase="Pending"} 1',
      'orchestra_pods{phase="Failed"} 0',
      'orchestra_nodes{status="Ready"} 1',
      'orchestra_nodes{status="NotReady"} 1',
      'orchestra_rollouts{state="complete"} 2',
      'orchestra_rollouts{state="failed"} 1',
      'orchestra_rollouts{state="progressing"} 0',
    ];
    for (const line of expected) assert.ok(text.split("\n").includes(line), `missing: ${line}`);
    assert.doesNotMatch(await metricsText(), /^orchestra_pods\{/m);
  });
});
