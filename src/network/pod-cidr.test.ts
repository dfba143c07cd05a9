import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  cidrContains,
  cidrsOverlap,
  firstFreeSubnet,
  nodeSubnetAt,
  nodeSubnetCount,
  parsePodCidr,
  subnetFromKeyName,
  subnetKeyName,
} from "./pod-cidr.js";

describe("pod CIDR", () => {
  test("accepts a network from /8 to /24 and says what is wrong with anything else", () => {
    assert.equal(parsePodCidr("10.42.0.0/16"), "10.42.0.0/16");
    assert.equal(parsePodCidr("192.168.7.0/24"), "192.168.7.0/24");
    assert.throws(
      () => parsePodCidr("10.42.0.0"),
      /pod-cidr: "10.42.0.0" is not an IPv4 CIDR like 10.42.0.0\/16/,
    );
    assert.throws(() => parsePodCidr("10.42.0.0/25"), /must have a prefix from \/8 to \/24/);
    assert.throws(() => parsePodCidr("10.0.0.0/7"), /must have a prefix from \/8 to \/24/);
    assert.throws(() => parsePodCidr("10.42.1.0/16"), /not a network address: did you mean 10.42.0.0\/16\?/);
    assert.throws(() => parsePodCidr("300.1.0.0/16"), /not an IPv4 CIDR/);
    assert.throws(() => parsePodCidr("10.42.0.0", "podCidr"), /podCidr: "10.42.0.0" is not/);
  });

  test("cuts the CIDR into /24s, lowest free first", () => {
    assert.equal(nodeSubnetCount("10.42.0.0/16"), 256);
    assert.equal(nodeSubnetCount("10.42.0.0/24"), 1);
    assert.equal(nodeSubnetAt("10.42.0.0/16", 0), "10.42.0.0/24");
    assert.equal(nodeSubnetAt("10.42.0.0/16", 255), "10.42.255.0/24");
    assert.equal(nodeSubnetAt("10.0.0.0/8", 257), "10.1.1.0/24");
    assert.equal(firstFreeSubnet("10.42.0.0/16", []), "10.42.0.0/24");
    assert.equal(firstFreeSubnet("10.42.0.0/16", ["10.42.0.0/24", "10.42.2.0/24"]), "10.42.1.0/24");
    assert.equal(firstFreeSubnet("10.42.0.0/23", ["10.42.0.0/24", "10.42.1.0/24"]), undefined);
  });

  test("overlap and containment", () => {
    assert.ok(cidrsOverlap("10.42.0.0/16", "10.42.7.0/24"));
    assert.ok(cidrsOverlap("10.42.7.0/24", "10.0.0.0/8"));
    assert.ok(!cidrsOverlap("10.42.0.0/16", "10.43.0.0/16"));
    assert.ok(cidrContains("10.42.0.0/16", "10.42.7.0/24"));
    assert.ok(!cidrContains("10.42.7.0/24", "10.42.0.0/16"));
  });

  test("a subnet as a store key segment and back", () => {
    assert.equal(subnetKeyName("10.42.3.0/24"), "10.42.3.0-24");
    assert.equal(subnetFromKeyName("10.42.3.0-24"), "10.42.3.0/24");
  });
});
