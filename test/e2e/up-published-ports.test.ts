// `orchestra up` publishes a deployment's port on the machine's addresses and on 127.0.0.1: it sets
// route_localnet on its pod bridge alone (not on every interface) once a port is published, and `orchestra down`
// takes the rules and the setting away with the network.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { PublishedServiceView } from "../../src/core/types.js";
import { HostKernel } from "../../src/network/host-kernel.js";
import { portTableName, renderPortTableRemoval } from "../../src/network/published-port-ruleset.js";
import { ClusterRun, eventually, runCli } from "../support/cluster.js";
import { DEMO_IMAGE, DEMO_PORT, ensureTestImages } from "../support/images.js";

/** A port nothing else on the machine uses in tests. */
const PUBLISHED = 18931;

async function hello(address: string): Promise<string> {
  const response = await fetch(`http://${address}:${PUBLISHED}/`, { signal: AbortSignal.timeout(3000) });
  assert.equal(response.status, 200);
  return (await response.text()).trim();
}

describe("orchestra up: published ports on the machine and on 127.0.0.1", { timeout: 300_000 }, () => {
  const kernel = new HostKernel();
  let run: ClusterRun;
  let table: string;
  let allBefore: string | undefined;

  before(async () => {
    await ensureTestImages();
    run = new ClusterRun("upports");
    table = portTableName(run.nodeName);
    allBefore = await kernel.sysctl("net.ipv4.conf.all.route_localnet");
    await run.up();
  });

  after(async () => {
    await run?.cleanup();
    // Only this run's table, should the test have stopped before `orchestra down`.
    if ((await kernel.nftTables()).includes(table)) await kernel.applyNft(renderPortTableRemoval(table));
  });

  test("127.0.0.1 and the machine's address on the pod network answer, spread over both pods; down removes the table and the setting", async () => {
    const bridgeOf = async (gateway: string) => {
      const bridge = await kernel.interfaceWithAddress(gateway);
      assert.ok(bridge, `an interface holds ${gateway}`);
      return bridge;
    };
    await run.cliOk([
      "deploy",
      "web",
      "--image",
      DEMO_IMAGE,
      "--replicas",
      "2",
      "--publish",
      `${PUBLISHED}:${DEMO_PORT}`,
    ]);
    const service = await eventually(
      async () => {
        const [found] = await run.api<PublishedServiceView[]>("/services");
        assert.equal(found?.endpoints.length, 2, JSON.stringify(found));
        return found;
      },
      { timeoutMs: 60_000 },
    );
    const pods = service.endpoints.map((endpoint) => endpoint.pod).sort();
    const [node] = await run.api<{ podSubnet?: string }[]>("/nodes");
    const gateway = (node?.podSubnet ?? "").replace(/\.0\/24$/, ".1");

    for (const address of ["127.0.0.1", gateway]) {
      await eventually(() => hello(address), { timeoutMs: 10_000 });
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) seen.add(await hello(address));
      assert.deepEqual(
        [...seen].sort(),
        pods.map((pod) => `hello from ${pod}`),
        `through ${address}`,
      );
    }
    const bridge = await bridgeOf(gateway);
    assert.equal(await kernel.sysctl(`net.ipv4.conf.${bridge}.route_localnet`), "1", "set on the pod bridge");
    assert.equal(
      await kernel.sysctl("net.ipv4.conf.all.route_localnet"),
      allBefore,
      "not on every interface",
    );

    await run.processes[0]?.terminate();
    const down = await runCli(["down", "--network", run.network]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await kernel.nftTables()).includes(table), false, "the table is gone");
    assert.equal(
      existsSync(`/proc/sys/net/ipv4/conf/${bridge}`),
      false,
      "the bridge went, its setting with it",
    );
    await assert.rejects(hello("127.0.0.1"), "127.0.0.1 no longer answers the port");
  });
});
