import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { KernelRoute } from "./kernel.js";
import type { NodeSubnet } from "./records.js";
import { overlappingRoute, planRoutes, ROUTE_PROTOCOL } from "./route-plan.js";

const CIDR = "10.42.0.0/16";
const nodes: NodeSubnet[] = [
  { node: "h1", subnet: "10.42.0.0/24", address: "10.250.0.11" },
  { node: "h2", subnet: "10.42.1.0/24", address: "10.250.0.12" },
  { node: "h3", subnet: "10.42.2.0/24", address: "10.250.0.13" },
];
const machine: KernelRoute[] = [
  { dst: "10.250.0.0/24", dev: "eth0", protocol: "kernel" },
  { dst: "10.42.0.0/24", dev: "br-1", protocol: "kernel" },
];
const ours = (dst: string, gateway: string): KernelRoute => ({
  dst,
  gateway,
  dev: "eth0",
  protocol: ROUTE_PROTOCOL,
});

describe("planRoutes", () => {
  test("a route to every other node's subnet via its address, none to its own", () => {
    const plan = planRoutes({
      self: "h1",
      podCidr: CIDR,
      nodes,
      routes: machine,
      localAddresses: ["10.250.0.11"],
    });
    assert.deepEqual(plan.replace, [
      { dst: "10.42.1.0/24", via: "10.250.0.12", node: "h2" },
      { dst: "10.42.2.0/24", via: "10.250.0.13", node: "h3" },
    ]);
    assert.deepEqual(plan.remove, []);
  });

  test("nothing to do when the routes are there; a moved node's route is replaced", () => {
    const routes = [...machine, ours("10.42.1.0/24", "10.250.0.12"), ours("10.42.2.0/24", "10.250.0.99")];
    const plan = planRoutes({ self: "h1", podCidr: CIDR, nodes, routes, localAddresses: [] });
    assert.deepEqual(plan.replace, [{ dst: "10.42.2.0/24", via: "10.250.0.13", node: "h3" }]);
  });

  test("the route of a removed node goes; routes of others and outside the pod CIDR stay", () => {
    const routes = [
      ...machine,
      ours("10.42.1.0/24", "10.250.0.12"),
      ours("10.42.9.0/24", "10.250.0.19"),
      ours("10.77.0.0/24", "10.250.0.19"),
      { dst: "10.42.8.0/24", gateway: "10.250.0.1", protocol: "static" },
    ];
    const plan = planRoutes({
      self: "h1",
      podCidr: CIDR,
      nodes: nodes.slice(0, 2),
      routes,
      localAddresses: [],
    });
    assert.deepEqual(plan.replace, []);
    assert.deepEqual(plan.remove, ["10.42.9.0/24"]);
  });

  test("nodes on this machine (one engine shared by several workers) get no route", () => {
    const shared = nodes.map((node) => ({ ...node, address: "127.0.0.1" }));
    const plan = planRoutes({
      self: "h1",
      podCidr: CIDR,
      nodes: shared,
      routes: machine,
      localAddresses: ["127.0.0.1"],
    });
    assert.deepEqual(plan.replace, []);
    assert.deepEqual(
      plan.skipped.map((s) => s.reason),
      ["its address 127.0.0.1 is this machine's", "its address 127.0.0.1 is this machine's"],
    );
  });

  test("a route that is not Orchestra's is never replaced", () => {
    const routes = [...machine, { dst: "10.42.1.0/24", dev: "br-2", protocol: "kernel" }];
    const plan = planRoutes({ self: "h1", podCidr: CIDR, nodes, routes, localAddresses: [] });
    assert.deepEqual(
      plan.replace.map((r) => r.dst),
      ["10.42.2.0/24"],
    );
    assert.match(
      plan.skipped[0]?.reason ?? "",
      /already routes 10.42.1.0\/24 \(10.42.1.0\/24 dev br-2 proto kernel\)/,
    );
  });

  test("a node without an address is skipped", () => {
    const plan = planRoutes({
      self: "h1",
      podCidr: CIDR,
      nodes: [...nodes.slice(0, 1), { node: "h2", subnet: "10.42.1.0/24", address: "" }],
      routes: machine,
      localAddresses: [],
    });
    assert.deepEqual(plan.replace, []);
    assert.equal(plan.skipped[0]?.node, "h2");
  });
});

describe("overlappingRoute", () => {
  const cluster = new Set(["10.42.0.0/24"]);
  test("the pod network's own routes and the default route do not count", () => {
    const routes = [
      { dst: "default", gateway: "192.0.2.1", protocol: "boot" },
      ...machine,
      ours("10.42.1.0/24", "10.250.0.12"),
    ];
    assert.equal(overlappingRoute(CIDR, routes, cluster), undefined);
  });

  test("any other route inside or around the CIDR does", () => {
    const inside = { dst: "10.42.200.0/24", dev: "br-x", protocol: "kernel" };
    assert.deepEqual(overlappingRoute(CIDR, [...machine, inside], cluster), inside);
    const around = { dst: "10.0.0.0/8", gateway: "192.0.2.1", protocol: "static" };
    assert.deepEqual(overlappingRoute(CIDR, [around], cluster), around);
    const host = { dst: "10.42.5.5", dev: "tun0", protocol: "kernel" };
    assert.deepEqual(overlappingRoute(CIDR, [host], cluster), host);
  });
});
