import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError } from "../core/errors.js";
import { parseStoreUrl } from "./store-url.js";

test("embedded store location", () => {
  assert.deepEqual(parseStoreUrl("embedded:/var/lib/orchestra"), {
    kind: "embedded",
    dir: "/var/lib/orchestra",
  });
  assert.throws(() => parseStoreUrl("embedded:"), ValidationError);
});

test("zookeeper ensemble with and without a root path", () => {
  assert.deepEqual(parseStoreUrl("zk://10.0.0.1:2181,10.0.0.2:2181/prod"), {
    kind: "zookeeper",
    connectString: "10.0.0.1:2181,10.0.0.2:2181",
    root: "/prod",
  });
  assert.deepEqual(parseStoreUrl("zk://localhost:2181"), {
    kind: "zookeeper",
    connectString: "localhost:2181",
    root: "/orchestra",
  });
});

test("bad store locations name the store option", () => {
  for (const bad of ["zk://", "zk://host", "zk://host:99999", "zk://h:1/bad path", "http://x", "mysql://x"]) {
    assert.throws(
      () => parseStoreUrl(bad),
      (e: unknown) => e instanceof ValidationError && e.field === "store",
      bad,
    );
  }
});
