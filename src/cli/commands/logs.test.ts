import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { logsRequest } from "./logs.js";

describe("logs arguments", () => {
  test("a pod or deployment/NAME, with the flags as query parameters", () => {
    assert.equal(logsRequest("web-x5w4w", {}), "/pods/web-x5w4w/log");
    assert.equal(
      logsRequest("deployment/web", { follow: true, tail: "5", since: "10m", timestamps: true }),
      "/deployments/web/log?follow=true&tail=5&since=10m&timestamps=true",
    );
    assert.equal(logsRequest("pod/web-1", { previous: true }), "/pods/web-1/log?previous=true");
  });

  test("bad input names the flag", () => {
    assert.throws(() => logsRequest("web-1", { tail: "-1" }), /^CliError: --tail: must be a number/);
    assert.throws(() => logsRequest("web-1", { tail: "100001" }), /--tail/);
    assert.throws(() => logsRequest("web-1", { since: "yesterday" }), /--since: must be a duration/);
    assert.throws(() => logsRequest("node/n1", {}), /logs are kept for a pod or a deployment/);
    assert.throws(() => logsRequest("deployment/web", { previous: true }), /--previous: only for a pod/);
    assert.throws(() => logsRequest("deployment/", {}), /names no pod or deployment/);
  });
});
