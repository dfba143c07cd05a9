// Which token role may call a route that needs which role.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_ROUTE_ROLE, roleAllows, routeRoleOf } from "./route-roles.js";

test("viewer < deployer < admin; admin may call every route", () => {
  assert.equal(roleAllows("viewer", "viewer"), true);
  assert.equal(roleAllows("viewer", "deployer"), false);
  assert.equal(roleAllows("viewer", "admin"), false);
  assert.equal(roleAllows("deployer", "viewer"), true);
  assert.equal(roleAllows("deployer", "deployer"), true);
  assert.equal(roleAllows("deployer", "admin"), false);
  for (const needed of ["viewer", "deployer", "admin", "node", "public"] as const) {
    assert.equal(roleAllows("admin", needed), true, needed);
  }
});

test("a node token may only join; only node tokens and admins may join", () => {
  assert.equal(roleAllows("node", "node"), true);
  assert.equal(roleAllows("node", "viewer"), false);
  assert.equal(roleAllows("node", "deployer"), false);
  assert.equal(roleAllows("node", "admin"), false);
  assert.equal(roleAllows("viewer", "node"), false);
  assert.equal(roleAllows("deployer", "node"), false);
});

test("a route without a declared role needs admin", () => {
  assert.equal(DEFAULT_ROUTE_ROLE, "admin");
  assert.equal(routeRoleOf(undefined), "admin");
  assert.equal(routeRoleOf({}), "admin");
  assert.equal(routeRoleOf({ role: "viewer" }), "viewer");
});
