// The start-up check that the ZooKeeper client is the patched version the store needs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CLIENT_PATCH, CLIENT_VERSION, clientMismatch, installedClient } from "./patched-client.js";

test("the installed client is node-zookeeper-client 1.1.3 with the project's patch", () => {
  assert.deepEqual(installedClient(), { version: "1.1.3", patch: "1.1.3+orchestra.1" });
  assert.equal(clientMismatch(installedClient()), undefined);
});

test("another version, or the same one unpatched, is refused with the version and patch expected", () => {
  const unpatched = clientMismatch({ version: CLIENT_VERSION });
  assert.equal(
    unpatched,
    "the ZooKeeper store needs node-zookeeper-client 1.1.3 with patch 1.1.3+orchestra.1 " +
      "(patches/node-zookeeper-client+1.1.3.patch, applied by npm ci); found 1.1.3 unpatched",
  );
  assert.match(clientMismatch({ version: "1.1.4", patch: CLIENT_PATCH }) ?? "", /found 1\.1\.4 with patch/);
});
