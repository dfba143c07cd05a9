import assert from "node:assert/strict";
import { test } from "node:test";
import {
  hostAddress,
  hostIndex,
  labNames,
  parseHostCount,
  parseLabName,
  pickLabSubnet,
  rootAddress,
} from "./lab-plan.js";

test("a lab's name fits the interface named after it (15 characters at most)", () => {
  assert.equal(parseLabName("lab"), "lab");
  assert.equal(parseLabName("a123456789"), "a123456789");
  assert.equal(labNames("a123456789").rootLink.length, 15);
  for (const bad of ["", "Lab", "1lab", "a1234567890", "la-b"]) {
    assert.throws(
      () => parseLabName(bad),
      /^ValidationError: name: ".*" must be 1 to 10 lowercase letters and digits/,
    );
  }
});

test("hosts: 1 to 200, named h1, h2, ... with addresses .11, .12, ...", () => {
  assert.equal(parseHostCount("3"), 3);
  for (const bad of ["0", "201", "two", "-1", "1.5"]) {
    assert.throws(() => parseHostCount(bad), /hosts: must be a whole number from 1 to 200/);
  }
  assert.equal(hostIndex("h12"), 12);
  assert.throws(() => hostIndex("x1"), /"x1" is not a lab host/);
  assert.equal(rootAddress("10.250.3.0/24"), "10.250.3.1");
  assert.equal(hostAddress("10.250.3.0/24", 1), "10.250.3.11");
  const names = labNames("t1");
  assert.deepEqual([names.hub, names.rootLink, names.host(2)], ["olab-t1-hub", "olab-t1", "olab-t1-h2"]);
});

test("the lab's /24 is the first of 10.250.0.0/16 that no route of the machine touches", () => {
  assert.equal(pickLabSubnet([{ dst: "default", gateway: "192.0.2.1", protocol: "boot" }]), "10.250.0.0/24");
  const routes = [
    { dst: "10.250.0.0/24", dev: "olab-a", protocol: "kernel" },
    { dst: "10.250.1.7", dev: "tun0", protocol: "kernel" },
  ];
  assert.equal(pickLabSubnet(routes), "10.250.2.0/24");
  assert.throws(
    () => pickLabSubnet([{ dst: "10.0.0.0/8", gateway: "192.0.2.1", protocol: "static" }]),
    /in use/,
  );
});
