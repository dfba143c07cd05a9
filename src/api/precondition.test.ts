// If-Match parsing and checking, as PUT and DELETE apply them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConflictError, ValidationError } from "../core/errors.js";
import { checkPrecondition, parseIfMatch } from "./precondition.js";

test("parses generations, * and 0", () => {
  assert.deepEqual(parseIfMatch(undefined), { kind: "none" });
  assert.deepEqual(parseIfMatch("3"), { kind: "generation", generation: 3 });
  assert.deepEqual(parseIfMatch(' "12" '), { kind: "generation", generation: 12 });
  assert.deepEqual(parseIfMatch("*"), { kind: "exists" });
  assert.deepEqual(parseIfMatch("0"), { kind: "absent" });
  assert.deepEqual(parseIfMatch('"0"'), { kind: "absent" });
});

test("anything else is a 400 naming If-Match", () => {
  for (const bad of ["", "x", "-1", "1.0", '"1', '1"', 'W/"1"', "1, 2", "1".repeat(16), ["1", "2"]]) {
    assert.throws(
      () => parseIfMatch(bad),
      (e: unknown) => e instanceof ValidationError && e.field === "If-Match",
      String(bad),
    );
  }
});

test("checks against the current generation", () => {
  const at3 = { generation: 3 };
  checkPrecondition("web", { kind: "none" }, undefined);
  checkPrecondition("web", { kind: "none" }, at3);
  checkPrecondition("web", { kind: "generation", generation: 3 }, at3);
  checkPrecondition("web", { kind: "exists" }, at3);
  checkPrecondition("web", { kind: "absent" }, undefined);
  assert.throws(() => checkPrecondition("web", { kind: "generation", generation: 2 }, at3), ConflictError);
  assert.throws(
    () => checkPrecondition("web", { kind: "generation", generation: 2 }, undefined),
    ConflictError,
  );
  assert.throws(() => checkPrecondition("web", { kind: "exists" }, undefined), ConflictError);
  assert.throws(() => checkPrecondition("web", { kind: "absent" }, at3), /already exists/);
});
