import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { countRefusal } from "./pod-starter.js";

describe("countRefusal", () => {
  test("the same step refused for good twice in a row is certain; a refusal that may pass resets the count", () => {
    const first = countRefusal(undefined, "pull", true);
    assert.deepEqual(first, { refusals: { step: "pull", count: 1 }, reason: "ImagePullBackOff" });
    const second = countRefusal(first.refusals, "pull", true);
    assert.deepEqual(second, { refusals: { step: "pull", count: 2 }, reason: "ErrImagePull" });
    assert.deepEqual(countRefusal(second.refusals, "pull", false), {
      refusals: undefined,
      reason: "ImagePullBackOff",
    });
  });

  test("another step starts the count over", () => {
    const pulled = countRefusal(countRefusal(undefined, "pull", true).refusals, "pull", true);
    const start = countRefusal(pulled.refusals, "start", true);
    assert.deepEqual(start, { refusals: { step: "start", count: 1 }, reason: "ContainerStartBackOff" });
    assert.equal(countRefusal(start.refusals, "start", true).reason, "RunContainerError");
    assert.equal(countRefusal({ step: "create", count: 1 }, "create", true).reason, "CreateContainerError");
  });
});
