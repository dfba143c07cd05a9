// Refusal events: what they say, and their bound per minute.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../core/clock.js";
import type { EventInput } from "../events/event-recorder.js";
import { RefusalAudit } from "./refusal-audit.js";

function audit(perMinute: number) {
  const recorded: EventInput[] = [];
  const clock = new ManualClock(1_000_000);
  const refusals = new RefusalAudit({ record: (event) => recorded.push(event) }, { clock, perMinute });
  return { recorded, clock, refusals };
}

test("a refusal names the token's id, the route and the status", () => {
  const { recorded, refusals } = audit(10);
  refusals.record({
    status: 403,
    tokenId: "0123456789abcdef",
    method: "PUT",
    path: "/deployments",
    reason: "no",
  });
  refusals.record({ status: 401, method: "GET", path: "/nodes", reason: "a bearer token is required" });
  assert.deepEqual(recorded, [
    {
      type: "Warning",
      reason: "Forbidden",
      object: "token/0123456789abcdef",
      message: "PUT /deployments: 403, no",
    },
    {
      type: "Warning",
      reason: "Unauthorized",
      object: "token/none",
      message: "GET /nodes: 401, a bearer token is required",
    },
  ]);
});

test("at most perMinute events a minute; the next one counts those left out", () => {
  const { recorded, clock, refusals } = audit(2);
  const refuse = () => refusals.record({ status: 401, method: "GET", path: "/pods", reason: "bad" });
  for (let i = 0; i < 10; i++) refuse();
  assert.equal(recorded.length, 2);
  clock.advance(59_999);
  refuse();
  assert.equal(recorded.length, 2);
  clock.advance(1);
  refuse();
  assert.equal(recorded.length, 3);
  assert.equal(recorded[2]?.message, "GET /pods: 401, bad (9 earlier refusals not recorded)");
  refuse();
  assert.equal(recorded[3]?.message, "GET /pods: 401, bad");
});
