import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_NODE_LOSS, decideNodeLoss, type NodeLossState } from "./node-loss-plan.js";

const options = {
  graceMs: 2_000,
  massLossFraction: 0.55,
  massLossHoldMs: 60_000,
  recoveryGraceMs: 5_000,
  restartGraceMs: 30_000,
};
const fresh: NodeLossState = { absentSince: new Map() };
const set = (...names: string[]) => new Set(names);

describe("decideNodeLoss", () => {
  test("a node whose registration is gone loses its pods after the grace, not before", () => {
    const first = decideNodeLoss(fresh, { registered: set("a"), bound: set("a", "b"), now: 1_000 }, options);
    assert.equal(first.mode, "normal");
    assert.deepEqual(first.absent, ["b"]);
    assert.deepEqual(first.evict, []);
    assert.equal(first.recheckInMs, 2_000);
    const early = decideNodeLoss(
      first.state,
      { registered: set("a"), bound: set("a", "b"), now: 2_999 },
      options,
    );
    assert.deepEqual(early.evict, []);
    const late = decideNodeLoss(
      first.state,
      { registered: set("a"), bound: set("a", "b"), now: 3_000 },
      options,
    );
    assert.deepEqual(late.evict, ["b"]);
  });

  test("a node back within the grace keeps its pods, and a later loss starts a new grace", () => {
    const gone = decideNodeLoss(fresh, { registered: set("a"), bound: set("a", "b"), now: 0 }, options);
    const back = decideNodeLoss(
      gone.state,
      { registered: set("a", "b"), bound: set("a", "b"), now: 1_500 },
      options,
    );
    assert.deepEqual(back.absent, []);
    const again = decideNodeLoss(
      back.state,
      { registered: set("a"), bound: set("a", "b"), now: 2_500 },
      options,
    );
    assert.deepEqual(again.evict, []);
    assert.equal(again.recheckInMs, 2_000);
  });

  test("a node whose worker stopped cleanly (restarting in place) gets the longer restart grace", () => {
    const input = { registered: set("a"), bound: set("a", "b"), stopped: set("b") };
    const gone = decideNodeLoss(fresh, { ...input, now: 0 }, options);
    assert.equal(gone.recheckInMs, 30_000);
    assert.deepEqual(decideNodeLoss(gone.state, { ...input, now: 29_999 }, options).evict, []);
    assert.deepEqual(decideNodeLoss(gone.state, { ...input, now: 30_000 }, options).evict, ["b"]);
  });

  test("nodes without pods never count, registered or not", () => {
    const decision = decideNodeLoss(fresh, { registered: set("a", "b"), bound: set(), now: 0 }, options);
    assert.deepEqual(decision, { state: { absentSince: new Map() }, mode: "normal", absent: [], evict: [] });
  });

  test("one of two nodes lost (50%) is not a mass loss", () => {
    const gone = decideNodeLoss(fresh, { registered: set("a"), bound: set("a", "b"), now: 0 }, options);
    const decision = decideNodeLoss(
      gone.state,
      { registered: set("a"), bound: set("a", "b"), now: 5_000 },
      options,
    );
    assert.equal(decision.mode, "normal");
    assert.deepEqual(decision.evict, ["b"]);
  });

  test("no node registered at all (outage): nothing moves, however long it lasts", () => {
    let state = fresh;
    for (const now of [0, 10_000, 3_600_000]) {
      const decision = decideNodeLoss(state, { registered: set(), bound: set("a", "b"), now }, options);
      assert.equal(decision.mode, "outage");
      assert.deepEqual(decision.evict, []);
      assert.equal(decision.recheckInMs, undefined);
      state = decision.state;
    }
  });

  test("after an outage, a node still missing gets the recovery grace from when the others returned", () => {
    const outage = decideNodeLoss(fresh, { registered: set(), bound: set("a", "b"), now: 0 }, options);
    const held = decideNodeLoss(
      outage.state,
      { registered: set(), bound: set("a", "b"), now: 30_000 },
      options,
    );
    const oneBack = { registered: set("a"), bound: set("a", "b"), now: 30_100 };
    const decision = decideNodeLoss(held.state, oneBack, options);
    assert.equal(decision.mode, "normal");
    assert.deepEqual(decision.evict, []);
    assert.deepEqual(decideNodeLoss(decision.state, { ...oneBack, now: 35_099 }, options).evict, []);
    const later = decideNodeLoss(decision.state, { ...oneBack, now: 35_100 }, options);
    assert.deepEqual(later.evict, ["b"]);
  });

  test("more than 55% of nodes lost at once: held until the hold runs out, then moved", () => {
    const input = { registered: set("a"), bound: set("a", "b", "c") };
    const start = decideNodeLoss(fresh, { ...input, now: 0 }, options);
    assert.equal(start.mode, "mass-loss");
    assert.deepEqual(start.absent, ["b", "c"]);
    assert.deepEqual(start.evict, []);
    assert.equal(start.recheckInMs, 60_000);
    const during = decideNodeLoss(start.state, { ...input, now: 59_999 }, options);
    assert.deepEqual(during.evict, []);
    const after = decideNodeLoss(during.state, { ...input, now: 60_000 }, options);
    assert.deepEqual(after.evict, ["b", "c"]);
  });

  test("the hold of a mass loss counts from when the outage began", () => {
    const outage = decideNodeLoss(fresh, { registered: set(), bound: set("a", "b", "c"), now: 0 }, options);
    const partial = decideNodeLoss(
      outage.state,
      { registered: set("a"), bound: set("a", "b", "c"), now: 50_000 },
      options,
    );
    assert.equal(partial.mode, "mass-loss");
    assert.equal(partial.recheckInMs, 10_000);
  });

  test("the defaults: a 1.5 s grace, 55%, a 5 minute hold, 10 s for an outage's stragglers", () => {
    assert.deepEqual(DEFAULT_NODE_LOSS, {
      graceMs: 1_500,
      massLossFraction: 0.55,
      massLossHoldMs: 300_000,
      recoveryGraceMs: 10_000,
      restartGraceMs: 30_000,
    });
  });
});
