// Simultaneous evictions against one disruption budget through two API server processes on a real ZooKeeper:
// each server decides on the pods it read, and only the transaction that checks every pod counted keeps the
// budget. With replicas 4 and maxUnavailable 1, exactly one of four evictions goes, round after round.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { newPod } from "../src/controller/pod-factory.js";
import type { Deployment, Pod } from "../src/core/types.js";
import { keys } from "../src/store/keys.js";
import { removePod, savePod } from "../src/store/testing/pod-test-support.js";
import { openZooKeeperStore, type ZooKeeperStore } from "../src/store/zookeeper/zookeeper-store.js";
import { JSON_TYPE, send } from "./support/api-harness.js";
import { OrchestraProcess } from "./support/cluster.js";
import { startZooKeeper, type ZooKeeperServer } from "./support/zookeeper-server.js";

const ROUNDS = 5;
const REPLICAS = 4;

describe("evictions on ZooKeeper through two API servers", () => {
  let zookeeper: ZooKeeperServer;
  let store: ZooKeeperStore;
  const servers: OrchestraProcess[] = [];

  before(async () => {
    zookeeper = await startZooKeeper();
    const storeUrl = `zk://${zookeeper.connectString}/orchestra`;
    const api = () =>
      OrchestraProcess.start(["run", "api", "--host", "127.0.0.1", "--port", "0", "--store", storeUrl]);
    servers.push(...(await Promise.all([api(), api()])));
    store = await openZooKeeperStore({ connectString: zookeeper.connectString, root: "/orchestra" });
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.terminate("SIGKILL")));
    await store?.close();
    await zookeeper?.stop();
  });

  test(`4 simultaneous evictions against replicas 4, maxUnavailable 1: one goes, ${ROUNDS} rounds`, async () => {
    const [a, b] = servers.map((server) => server.url) as [string, string];
    const spec = { name: "web", image: "busybox", replicas: REPLICAS, strategy: { maxUnavailable: 1 } };
    const created = await send(a, "PUT", "/deployments", JSON_TYPE, JSON.stringify(spec));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const deployment = created.body as Deployment;
    const running = (taken: Set<string>, i: number): Pod => ({
      ...newPod(deployment, taken, deployment.createdAt),
      node: `node-${i % 2}`,
      status: { phase: "Running", ready: true, restarts: 0 },
    });

    for (let round = 1; round <= ROUNDS; round++) {
      // The pods a controller and workers would have left: four, all Running and ready (no controller runs,
      // so nothing replaces an evicted pod behind the test's back).
      for (const left of await store.list<Pod>(keys.pods)) await removePod(store, left.value.id);
      const taken = new Set<string>();
      const pods = Array.from({ length: REPLICAS }, (_, i) => running(taken, i));
      for (const pod of pods) await savePod(store, pod);

      // Two evictions through each server, sent at once.
      const replies = await Promise.all(
        pods.map((pod, i) => send(i % 2 === 0 ? a : b, "POST", `/pods/${pod.id}/eviction`, JSON_TYPE)),
      );
      const seen = `round ${round}: ${JSON.stringify(replies.map((r) => [r.status, r.body]))}`;
      assert.deepEqual(replies.map((reply) => reply.status).sort(), [200, 429, 429, 429], seen);
      for (const refused of replies.filter((reply) => reply.status === 429)) {
        assert.equal(refused.headers["retry-after"], "1", seen);
        assert.match(
          refused.body.message,
          /needs 3 available pods \(replicas 4, maxUnavailable 1\) and has 3|kept changing/,
          seen,
        );
      }
      const evicted = pods[replies.findIndex((reply) => reply.status === 200)] as Pod;
      const left = (await store.list<Pod>(keys.pods)).map((entry) => entry.value.id).sort();
      assert.deepEqual(
        left,
        pods
          .map((pod) => pod.id)
          .filter((id) => id !== evicted.id)
          .sort(),
        seen,
      );
      assert.equal(await store.get(keys.assignment(evicted.node as string, evicted.id)), undefined);
    }
  });
});
