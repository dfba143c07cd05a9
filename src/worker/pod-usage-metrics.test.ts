import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { metricsText } from "../metrics/metrics-registry.js";
import { podLabels } from "../runtime/labels.js";
import type { ContainerInfo } from "../runtime/runtime.js";
import { attachPodUsageMetrics, type PodUsageSource } from "./pod-usage-metrics.js";

function container(id: string, pod: string, running: boolean): ContainerInfo {
  return {
    id,
    name: `${pod}.n1`,
    image: "orchestra/hello",
    labels: podLabels({ node: "n1", id: `${pod}-id`, name: pod, deployment: "web", revision: "abc" }),
    state: running ? "running" : "exited",
    running,
  };
}

describe("pod usage metrics", () => {
  test("each running container of the node is reported with one engine read per scrape", async () => {
    const listed: Record<string, string>[] = [];
    const statsCalls: string[] = [];
    const source: PodUsageSource = {
      node: "n1",
      list: async ({ labels }) => {
        listed.push(labels);
        return [
          container("c1", "web-a", true),
          container("c2", "web-b", false),
          container("c3", "web-c", true),
        ];
      },
      stats: async (id) => {
        statsCalls.push(id);
        if (id === "c3") throw new Error("stopped meanwhile");
        return { cpuSeconds: 1.5, memoryBytes: 4096 };
      },
    };
    const detach = attachPodUsageMetrics(source);
    try {
      const text = await metricsText();
      assert.match(text, /^orchestra_pod_cpu_seconds_total\{node="n1",deployment="web",pod="web-a"\} 1\.5$/m);
      assert.match(text, /^orchestra_pod_memory_bytes\{node="n1",deployment="web",pod="web-a"\} 4096$/m);
      // Stopped containers and those whose stats failed are left out.
      assert.doesNotMatch(text, /pod="web-[bc]"/);
      assert.deepEqual(listed, [{ "orchestra.managed": "true", "orchestra.node": "n1" }]);
      assert.deepEqual(statsCalls.sort(), ["c1", "c3"]);
    } finally {
      detach();
    }
    assert.doesNotMatch(await metricsText(), /pod="web-a"/);
  });
});
