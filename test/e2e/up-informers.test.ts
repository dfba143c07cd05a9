// `orchestra up` (in this process, on the real Docker engine) keeps one watch per store directory, however
// many of its components read it: controller, scheduler, API server and DNS share one /pods informer, one
// /nodes, one /deployments, one /nodeconfig and one /volumes; each watch is stopped once, when up stops.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { DeploymentWithStatus } from "../../src/api/deployment-status.js";
import { openStore } from "../../src/cmd/open-store.js";
import { type RunningCluster, up } from "../../src/cmd/up.js";
import type { Pod } from "../../src/core/types.js";
import type { Store, Watch } from "../../src/store/store.js";
import { ClusterRun, eventually } from "../support/cluster.js";
import { DEMO_IMAGE, ensureTestImages } from "../support/images.js";

const exec = promisify(execFile);

/** Watches opened and stopped on `store`, per directory. */
interface WatchCounts {
  opened: Record<string, number>;
  stopped: Record<string, number>;
}

function countingWatches(store: Store, counts: WatchCounts): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === "watch") {
        return async (dir: string, listener: Parameters<Store["watch"]>[1]): Promise<Watch> => {
          counts.opened[dir] = (counts.opened[dir] ?? 0) + 1;
          const watch = await target.watch(dir, listener);
          return {
            initial: watch.initial,
            stop: () => {
              counts.stopped[dir] = (counts.stopped[dir] ?? 0) + 1;
              watch.stop();
            },
          };
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("orchestra up shares its informers", { timeout: 300_000 }, () => {
  const counts: WatchCounts = { opened: {}, stopped: {} };
  let run: ClusterRun;
  let cluster: RunningCluster | undefined;

  before(async () => {
    await ensureTestImages();
    run = new ClusterRun("informers");
    cluster = await up(
      {
        dataDir: join(run.dataDir, "store"),
        apiHost: "127.0.0.1",
        apiPort: 0,
        nodeName: run.nodeName,
        network: run.network,
        stopGraceSeconds: 1,
        upstreams: [],
      },
      async (url) => {
        const opened = await openStore(url);
        return { ...opened, store: countingWatches(opened.store, counts) };
      },
    );
    run.server = cluster.apiUrl;
  });

  after(async () => {
    await cluster?.stop();
    await run?.cleanup();
  });

  test("one watch per directory; every component works from it", async () => {
    assert.deepEqual(counts.opened, {
      "/pods": 1,
      "/nodes": 1,
      "/deployments": 1,
      "/nodeconfig": 1,
      "/volumes": 1,
      [`/assignments/${run.nodeName}`]: 1,
      // The worker's node endpoint: the API servers' credentials it accepts.
      "/endpointclients": 1,
    });

    await run.cliOk(["deploy", "web", "--image", DEMO_IMAGE, "--replicas", "2"]);
    // Controller (pods made), scheduler (bound), API pod cache (ready count) and DNS (answers) all read the
    // shared caches.
    const deployment = await eventually(
      async () => {
        const found = await run.api<DeploymentWithStatus>("/deployments/web");
        assert.equal(found.status.readyReplicas, 2, JSON.stringify(found.status));
        return found;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(deployment.replicas, 2);
    const pods = await run.api<Pod[]>("/pods?deployment=web");
    const dns = cluster?.dns;
    assert.ok(dns, "up serves DNS");
    const answer = await eventually(async () => {
      const { stdout } = await exec("dig", [
        `@${dns.address}`,
        "+short",
        "+time=2",
        "+tries=1",
        "web.cluster.local",
      ]);
      const ips = stdout.trim().split("\n").filter(Boolean).sort();
      assert.deepEqual(ips, pods.map((pod) => pod.status.ip).sort());
      return ips;
    });
    assert.equal(answer.length, 2);

    await run.cliOk(["delete", "web"]);
    await eventually(async () => assert.deepEqual(await run.containers(), []), { timeoutMs: 60_000 });
    assert.deepEqual(counts.opened["/pods"], 1, "no component opened a watch of its own meanwhile");
  });

  test("stopping up stops each watch once", async () => {
    await cluster?.stop();
    cluster = undefined;
    assert.deepEqual(counts.stopped, counts.opened);
  });
});
