// The patched ZooKeeper client's multi-op transactions on a real ZooKeeper server: an expected version of 0 is
// checked (the original sent -1, "any version", for 0: alexguan/node-zookeeper-client#67).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { CreateMode, Exception } from "node-zookeeper-client";
import * as zk from "../../src/store/zookeeper/client-calls.js";
import { connectedClient, useZooKeeper } from "./client-support.js";

const { server } = useZooKeeper();

test("check, setData and remove in a transaction compare version 0 like any other", async () => {
  const client = await connectedClient(server().connectString);
  const path = `/tx-${randomUUID().slice(0, 8)}`;
  await zk.create(client, path, Buffer.from("a"), CreateMode.PERSISTENT);
  await zk.setData(client, path, Buffer.from("b"), 0);

  const failedOp = (result: { error?: unknown; results: zk.MultiResult[] }) =>
    result.results.findIndex((r) => r.err !== undefined && r.err !== Exception.OK);
  for (const build of [
    () => client.transaction().check(path, 0),
    () => client.transaction().setData(path, Buffer.from("c"), 0),
    () => client.transaction().remove(path, 0),
  ]) {
    const result = await zk.commit(build());
    assert.equal(zk.zkCode(result.error), Exception.BAD_VERSION);
    assert.equal(failedOp(result), 0);
  }
  const { data, stat } = await zk.getData(client, path);
  assert.equal(data.toString(), "b");
  assert.equal(stat.version, 1);

  // Left out, the version is still "any".
  assert.equal(
    (await zk.commit(client.transaction().check(path).setData(path, Buffer.from("d")))).error,
    undefined,
  );
  const ok = await zk.commit(client.transaction().check(path, 2).remove(path, 2));
  assert.equal(ok.error, undefined);
  assert.equal(await zk.exists(client, path), null);
});
