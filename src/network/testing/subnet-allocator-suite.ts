// The subnet allocation's behaviour on a real store, run against the embedded store and against ZooKeeper:
// two clients (two sessions, as two workers would be) race for subnets, restart, and give subnets back.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ConflictError, ValidationError } from "../../core/errors.js";
import { keys } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import type { SubnetClaim } from "../records.js";
import { ROUTE_PROTOCOL } from "../route-plan.js";
import { allocateNodeSubnet, clusterPodCidr, subnetReleaseOps } from "../subnet-allocator.js";

export interface AllocatorHarness {
  /** Two clients of one fresh, empty store, as two workers on two machines would have. */
  open(): Promise<{ first: Store; second: Store; close(): Promise<void> }>;
}

export const RACE_REPETITIONS = 20;

export function subnetAllocatorSuite(name: string, harness: () => Promise<AllocatorHarness>): void {
  describe(`subnet allocation on the ${name} store`, { timeout: 120_000 }, () => {
    let first: Store;
    let second: Store;
    let close: () => Promise<void>;

    before(async () => {
      ({ first, second, close } = await (await harness()).open());
    });
    after(() => close?.());

    test(`two nodes claiming at the same moment get different subnets (${RACE_REPETITIONS} times)`, async () => {
      const seen = new Set<string>();
      for (let round = 0; round < RACE_REPETITIONS; round++) {
        const [a, b] = await Promise.all([
          allocateNodeSubnet(first, { node: `race-a${round}`, address: "10.1.0.1" }),
          allocateNodeSubnet(second, { node: `race-b${round}`, address: "10.1.0.2" }),
        ]);
        assert.notEqual(a.subnet, b.subnet, `round ${round}: both got ${a.subnet}`);
        for (const subnet of [a.subnet, b.subnet]) {
          assert.ok(!seen.has(subnet), `round ${round}: ${subnet} was handed out before`);
          seen.add(subnet);
        }
      }
      // Every claim names the node whose record holds that subnet.
      const claims = await first.list<SubnetClaim>(keys.subnets);
      assert.equal(claims.length, RACE_REPETITIONS * 2);
      for (const claim of claims) {
        const record = await first.get<{ subnet: string }>(keys.nodeSubnet(claim.value.node));
        assert.equal(record?.value.subnet.replace("/", "-"), claim.key.split("/").pop());
      }
    });

    test("a node keeps its subnet when it comes back, and its new address is recorded", async () => {
      const before = await allocateNodeSubnet(first, { node: "stable", address: "10.1.0.5" });
      const again = await allocateNodeSubnet(second, { node: "stable", address: "10.1.0.6" });
      assert.deepEqual(again, before);
      const record = await first.get<{ address: string }>(keys.nodeSubnet("stable"));
      assert.equal(record?.value.address, "10.1.0.6");
    });

    test("the cluster has one pod CIDR: a different --pod-cidr is refused, none means the cluster's", async () => {
      assert.equal(await clusterPodCidr(first), "10.42.0.0/16");
      await assert.rejects(
        allocateNodeSubnet(second, { node: "other", address: "10.1.0.7", podCidr: "10.50.0.0/16" }),
        (err: Error) =>
          err instanceof ValidationError &&
          /^pod-cidr: 10.50.0.0\/16 differs from the cluster's pod CIDR 10.42.0.0\/16/.test(err.message),
      );
      assert.equal(await first.get(keys.nodeSubnet("other")), undefined, "nothing claimed");
      const same = await allocateNodeSubnet(second, {
        node: "other",
        address: "10.1.0.7",
        podCidr: "10.42.0.0/16",
      });
      assert.match(same.subnet, /^10\.42\.\d+\.0\/24$/);
    });

    test("a route of the machine inside the pod CIDR is refused by name; the pod network's own are not", async () => {
      const own = await allocateNodeSubnet(first, { node: "stable", address: "10.1.0.6" });
      const routes = [
        { dst: own.subnet, dev: "br-1", protocol: "kernel" },
        { dst: "10.42.200.0/24", gateway: "10.1.0.9", protocol: ROUTE_PROTOCOL },
      ];
      assert.deepEqual(await allocateNodeSubnet(first, { node: "stable", address: "10.1.0.6", routes }), own);
      await assert.rejects(
        allocateNodeSubnet(first, {
          node: "stable",
          address: "10.1.0.6",
          routes: [...routes, { dst: "10.42.201.0/24", dev: "wg0", protocol: "kernel" }],
        }),
        /pod CIDR 10.42.0.0\/16 overlaps this machine's route 10.42.201.0\/24 dev wg0 proto kernel/,
      );
    });

    test("a released subnet is handed out again", async () => {
      const held = await allocateNodeSubnet(first, { node: "gone", address: "10.1.0.8" });
      const release = await subnetReleaseOps(second, "gone");
      assert.equal(release.subnet, held.subnet);
      await second.transaction(release.ops);
      assert.equal(await first.get(keys.nodeSubnet("gone")), undefined);
      const next = await allocateNodeSubnet(first, { node: "newcomer", address: "10.1.0.9" });
      assert.equal(next.subnet, held.subnet, "the lowest free subnet is the released one");
      assert.deepEqual(await subnetReleaseOps(first, "never-there"), { ops: [] });
    });
  });
}

/** A full CIDR: the error says so and names the way out. */
export async function assertFullCidrRefused(store: Store): Promise<void> {
  await allocateNodeSubnet(store, { node: "f1", address: "10.1.0.1", podCidr: "10.60.0.0/23" });
  await allocateNodeSubnet(store, { node: "f2", address: "10.1.0.2" });
  await assert.rejects(
    allocateNodeSubnet(store, { node: "f3", address: "10.1.0.3" }),
    (err: Error) =>
      err instanceof ConflictError &&
      err.message ===
        "pod CIDR 10.60.0.0/23 is full: all 2 of its /24 subnets belong to nodes; remove nodes that are gone (orchestra delete node NAME) or start the cluster with a larger --pod-cidr",
  );
}
