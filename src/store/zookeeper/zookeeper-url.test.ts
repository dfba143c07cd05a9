// parseZooKeeperUrl: the `--store zk://...` form.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError } from "../../core/errors.js";
import { parseZooKeeperUrl } from "./zookeeper-url.js";

test("reads the ensemble and the optional root of a zk:// URL", () => {
  assert.deepEqual(parseZooKeeperUrl("zk://127.0.0.1:2181"), { connectString: "127.0.0.1:2181" });
  assert.deepEqual(parseZooKeeperUrl("zk://a:2181,b.example:2182/orchestra/prod/"), {
    connectString: "a:2181,b.example:2182",
    root: "/orchestra/prod",
  });
  assert.deepEqual(parseZooKeeperUrl("zk://zk.internal:2181/"), { connectString: "zk.internal:2181" });
});

test("rejects what is not zk://host:port[,host:port...][/root], naming the field", () => {
  for (const bad of [
    "127.0.0.1:2181",
    "zk://",
    "zk://host",
    "zk://a:2181,,b:2181",
    "zk://a:2181/bad root",
    "zk://[::1]:2181",
  ]) {
    assert.throws(
      () => parseZooKeeperUrl(bad),
      (error: unknown) => error instanceof ValidationError && error.field === "store",
      bad,
    );
  }
});
