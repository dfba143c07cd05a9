import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { eventually } from "../store/testing/contract-support.js";
import { removeDataPath } from "./data-path-cleanup.js";
import { podNetworkRules } from "./firewall-plan.js";
import { PodNetwork } from "./pod-network.js";
import type { NodeSubnet } from "./records.js";
import { ROUTE_PROTOCOL } from "./route-plan.js";
import { FakeKernel } from "./testing/fake-kernel.js";

const CIDR = "10.42.0.0/16";
const self: NodeSubnet = { node: "h1", subnet: "10.42.0.0/24", address: "10.250.0.11" };
const h2: NodeSubnet = { node: "h2", subnet: "10.42.1.0/24", address: "10.250.0.12" };
const h3: NodeSubnet = { node: "h3", subnet: "10.42.2.0/24", address: "10.250.0.13" };

describe("pod network on a fake kernel", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let kernel: FakeKernel;
  const started: PodNetwork[] = [];

  const start = async (): Promise<PodNetwork> => {
    const network = new PodNetwork({ store, kernel, node: "h1", subnet: self.subnet, podCidr: CIDR });
    started.push(network);
    await network.start();
    return network;
  };
  const ourRoutes = () =>
    kernel.routeTable
      .filter((route) => route.protocol === ROUTE_PROTOCOL)
      .map((r) => `${r.dst} via ${r.gateway}`);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-pod-network-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
  });
  beforeEach(async () => {
    kernel = new FakeKernel();
    kernel.addresses.push(self.address);
    kernel.routeTable.push({ dst: "10.250.0.0/24", dev: "eth0", protocol: "kernel" });
    for (const node of [self, h2]) await store.set(keys.nodeSubnet(node.node), node);
  });
  afterEach(async () => {
    for (const network of started.splice(0)) await network.stop();
    for (const node of ["h1", "h2", "h3", "h4"])
      await store.delete(keys.nodeSubnet(node)).catch(() => undefined);
  });
  after(async () => {
    await store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("on start: the node's rules, and a route to each other node", async () => {
    await start();
    assert.deepEqual(ourRoutes(), ["10.42.1.0/24 via 10.250.0.12"]);
    assert.deepEqual(
      kernel.ruleList.map((rule) => rule.args.join(" ")).sort(),
      podNetworkRules("h1", self.subnet, CIDR)
        .map((rule) => rule.args.join(" "))
        .sort(),
    );
  });

  test("follows the store: a new node is routed, a moved node re-routed, a removed node's route goes", async () => {
    const network = await start();
    await store.set(keys.nodeSubnet("h3"), h3);
    await eventually(() =>
      assert.deepEqual(ourRoutes().sort(), ["10.42.1.0/24 via 10.250.0.12", "10.42.2.0/24 via 10.250.0.13"]),
    );
    await store.set(keys.nodeSubnet("h3"), { ...h3, address: "10.250.0.23" });
    await eventually(() => assert.ok(ourRoutes().includes("10.42.2.0/24 via 10.250.0.23")));
    await store.delete(keys.nodeSubnet("h3"));
    await eventually(() => assert.deepEqual(ourRoutes(), ["10.42.1.0/24 via 10.250.0.12"]));
    await network.whenIdle();
  });

  test("a restart changes nothing that is already right", async () => {
    const first = await start();
    await first.stop();
    const before = kernel.changes.length;
    await start();
    assert.deepEqual(kernel.changes.slice(before), []);
  });

  test("a route the kernel refuses is retried, and does not hold up the others", async () => {
    kernel.failRouteTo = h2.subnet;
    await store.set(keys.nodeSubnet("h3"), h3);
    await assert.rejects(start(), /Nexthop has invalid gateway/);
    assert.deepEqual(ourRoutes(), ["10.42.2.0/24 via 10.250.0.13"]);
    kernel.failRouteTo = undefined;
    const network = await start();
    assert.deepEqual(ourRoutes().sort(), ["10.42.1.0/24 via 10.250.0.12", "10.42.2.0/24 via 10.250.0.13"]);
    await network.whenIdle();
  });

  test("removeDataPath takes away every rule and route of the pod network, and only those", async () => {
    kernel.ruleList.push({ table: "filter", chain: "DOCKER-USER", args: ["-j", "RETURN"] });
    await start();
    const removed = await removeDataPath(kernel);
    assert.deepEqual(removed, { rules: 3, routes: 1 });
    assert.deepEqual(kernel.ruleList, [{ table: "filter", chain: "DOCKER-USER", args: ["-j", "RETURN"] }]);
    assert.deepEqual(ourRoutes(), []);
    assert.equal(kernel.routeTable.length, 1, "the machine's own route stays");
  });
});
