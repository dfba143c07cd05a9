import assert from "node:assert/strict";
import { test } from "node:test";
import { deleteTargets, deploymentNames } from "./delete.js";
import { resolveKind } from "./get.js";

test("get takes plural, singular and short type names, and TYPE/NAME", () => {
  for (const word of ["deployments", "deployment", "deploy", "Deployments"]) {
    assert.deepEqual(resolveKind(word), { kind: "deployment" });
  }
  for (const word of ["pods", "pod", "po"]) assert.deepEqual(resolveKind(word), { kind: "pod" });
  for (const word of ["nodes", "node", "no"]) assert.deepEqual(resolveKind(word), { kind: "node" });
  assert.deepEqual(resolveKind("pod/web-abc12"), { kind: "pod", name: "web-abc12" });
  assert.deepEqual(resolveKind("configs"), { kind: "config" });
  assert.deepEqual(resolveKind("secret/db-password"), { kind: "secret", name: "db-password" });
  assert.deepEqual(resolveKind("volumes"), { kind: "volume" });
  for (const word of ["widgets", "constructor", "toString", ""]) {
    assert.throws(() => resolveKind(word), {
      message:
        /^unknown resource type ".*" \(expected deployments, pods, nodes, configs, secrets or volumes\)$/,
    });
  }
});

test("delete takes NAME..., deployment/NAME and kubectl's `deployment NAME`", () => {
  assert.deepEqual(deploymentNames(["web"]), ["web"]);
  assert.deepEqual(deploymentNames(["web", "api"]), ["web", "api"]);
  assert.deepEqual(deploymentNames(["deployment/web"]), ["web"]);
  assert.deepEqual(deploymentNames(["deployment", "web", "api"]), ["web", "api"]);
  // A deployment called "deploy" can still be deleted on its own.
  assert.deepEqual(deploymentNames(["deploy"]), ["deploy"]);
  assert.throws(() => deploymentNames(["pod/web-abc12"]), {
    message: 'cannot delete "pod/web-abc12": only deployments, nodes, configs and secrets can be deleted',
  });
});

test("delete takes node NAME... and node/NAME for nodes; a lone `node` is a deployment's name", () => {
  assert.deepEqual(deleteTargets(["node", "n1", "n2"]), [
    { kind: "node", name: "n1" },
    { kind: "node", name: "n2" },
  ]);
  assert.deepEqual(deleteTargets(["node/n1", "web"]), [
    { kind: "node", name: "n1" },
    { kind: "deployment", name: "web" },
  ]);
  assert.deepEqual(deleteTargets(["node"]), [{ kind: "deployment", name: "node" }]);
  assert.deepEqual(deploymentNames(["node", "n1"]), []);
});
