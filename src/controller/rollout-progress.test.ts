import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Deployment, Revision, RolloutStatus } from "../core/types.js";
import { keys } from "../store/keys.js";
import type { TxOp } from "../store/store.js";
import type { RolloutCounts } from "./rollout-plan.js";
import { planRolloutStep, type RolloutStepInput, type Versioned } from "./rollout-progress.js";
import { deployment } from "./testing/test-fixtures.js";

const T0 = Date.parse("2024-06-01T12:00:00.000Z");
const v1 = deployment({ name: "web", replicas: 2, image: "orchestra/hello:1" });
const v2 = { ...deployment({ name: "web", replicas: 2, image: "orchestra/hello:2" }), generation: 2 };

function counts(extra: Partial<RolloutCounts> = {}): RolloutCounts {
  return {
    replicas: 2,
    updatedReplicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    totalReplicas: 2,
    ...extra,
  };
}

const complete = counts({ updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, totalReplicas: 2 });

/** The stored state after committing `ops` (versions as a store would give them). */
function commit(
  state: { history: Versioned<Revision>[]; status: Versioned<RolloutStatus> | null },
  ops: TxOp[],
) {
  const history = new Map(state.history.map((entry) => [entry.value.revision, entry]));
  let status = state.status;
  for (const op of ops) {
    if (op.op === "check") continue;
    if (op.key === keys.rollout("web")) {
      status =
        op.op === "delete"
          ? null
          : { value: op.value as RolloutStatus, version: (status?.version ?? -1) + 1 };
    } else if (op.key.startsWith(`${keys.revisions("web")}/`)) {
      const number = Number(op.key.split("/").at(-1));
      if (op.op === "delete") history.delete(number);
      else
        history.set(number, {
          value: op.value as Revision,
          version: (history.get(number)?.version ?? -1) + 1,
        });
    }
  }
  return { history: [...history.values()], status };
}

function input(d: Deployment, extra: Partial<RolloutStepInput> = {}): RolloutStepInput {
  return {
    deployment: d,
    deploymentVersion: 3,
    history: [],
    status: null,
    counts: counts(),
    failing: undefined,
    now: T0,
    ...extra,
  };
}

/** Revision 1 (v1) rolled out and complete, then v2 applied: the state the step of v2 starts from. */
function afterFirstRollout() {
  return commit({ history: [], status: null }, planRolloutStep(input(v1, { counts: complete })).ops);
}

describe("planRolloutStep", () => {
  test("a first rollout records revision 1 and a progressing status; planning again writes nothing", () => {
    const step = planRolloutStep(input(v1, { counts: counts({ updatedReplicas: 2 }) }));
    assert.equal(step.started, 1);
    assert.deepEqual(
      step.ops.map((op) => [op.op, op.key]),
      [
        ["create", keys.revision("web", 1)],
        ["create", keys.rollout("web")],
      ],
    );
    const state = commit({ history: [], status: null }, step.ops);
    assert.equal(state.status?.value.state, "progressing");
    const again = planRolloutStep(
      input(v1, { ...state, counts: counts({ updatedReplicas: 2 }), now: T0 + 1000 }),
    );
    assert.deepEqual(again.ops, []);
    assert.equal(again.started, undefined);
    // The progress deadline (default 120 s) is the next time to look.
    assert.equal(again.requeueAfterMs, 120_000 - 1000 + 50);
  });

  test("a complete rollout marks its revision as a rollback target and says so once", () => {
    const started = commit({ history: [], status: null }, planRolloutStep(input(v1)).ops);
    const step = planRolloutStep(input(v1, { ...started, counts: complete, now: T0 + 5000 }));
    assert.deepEqual(step.event, {
      type: "Normal",
      reason: "RolloutComplete",
      message: "revision 1 rolled out",
    });
    const done = commit(started, step.ops);
    assert.equal(done.history[0]?.value.completedAt, new Date(T0 + 5000).toISOString());
    assert.equal(done.status?.value.state, "complete");
    assert.deepEqual(planRolloutStep(input(v1, { ...done, counts: complete, now: T0 + 9000 })).ops, []);
  });

  test("new pods failing for good roll the deployment back at once, with the reason", () => {
    const state = afterFirstRollout();
    const rolling = commit(state, planRolloutStep(input(v2, { ...state, now: T0 + 1000 })).ops);
    const failing = "pod web-abcde cannot start: ErrImagePull: no such host";
    const step = planRolloutStep(input(v2, { ...rolling, failing, now: T0 + 3000 }));
    assert.deepEqual(step.rolledBackTo, { generation: 3 });
    assert.equal(step.requeueAfterMs, undefined, "no deadline to wait for once rolled back");
    const message = `revision 2 failed: ${failing}; rolled back to revision 1 (now revision 3)`;
    assert.deepEqual(step.event, { type: "Warning", reason: "RolledBack", message });
    const deploymentWrite = step.ops.find((op) => op.key === keys.deployment("web"));
    assert.ok(
      deploymentWrite?.op === "set" && deploymentWrite.version === 3,
      "compare-and-set on the deployment",
    );
    assert.equal((deploymentWrite.value as Deployment).image, "orchestra/hello:1");
    const after = commit(rolling, step.ops);
    assert.equal(after.status?.value.state, "rolled-back");
    assert.equal(after.status?.value.message, message);
    assert.deepEqual(
      after.history.map((entry) => [entry.value.revision, entry.value.template.image]).sort(),
      [
        [2, "orchestra/hello:2"],
        [3, "orchestra/hello:1"],
      ],
    );
  });

  test("a secret update whose pods fail rolls back to the config and secret versions the good revision used", () => {
    const refs = { configs: [{ name: "app", mountPath: "/etc/app", version: 4 }] };
    const good = deployment({
      name: "web",
      replicas: 2,
      ...refs,
      secrets: [{ name: "db-password", version: 1 }],
    });
    // What `secret update db-password` writes: the same template but the secret's new version.
    const updated = {
      ...deployment({ name: "web", replicas: 2, ...refs, secrets: [{ name: "db-password", version: 2 }] }),
      generation: 2,
    };
    const state = commit(
      { history: [], status: null },
      planRolloutStep(input(good, { counts: complete })).ops,
    );
    const rolling = commit(state, planRolloutStep(input(updated, { ...state, now: T0 + 1000 })).ops);
    assert.equal(
      rolling.history.find((entry) => entry.value.revision === 2)?.value.cause,
      "secret db-password changed",
    );
    const failing = "pod web-abcde unhealthy: cannot read /run/secrets/db-password/password";
    const step = planRolloutStep(input(updated, { ...rolling, failing, now: T0 + 3000 }));
    assert.deepEqual(step.rolledBackTo, { generation: 3 });
    const written = step.ops.find((op) => op.key === keys.deployment("web"));
    assert.ok(written?.op === "set");
    const rolledBack = written.value as Deployment;
    assert.deepEqual(rolledBack.secrets, [{ name: "db-password", version: 1 }]);
    assert.deepEqual(rolledBack.configs, refs.configs);
    assert.equal(rolledBack.hash, good.hash, "the good revision's pods, as they were");
  });

  test("without automatic rollback, or with nothing to return to, the rollout only fails", () => {
    const state = afterFirstRollout();
    const manual = { ...v2, strategy: { autoRollback: false } };
    const step = planRolloutStep(
      input(manual, { ...state, failing: "pod web-x cannot start: ErrImagePull: x" }),
    );
    assert.equal(step.rolledBackTo, undefined);
    assert.equal(step.event?.reason, "RolloutFailed");
    assert.match(step.event?.message ?? "", /revision 2 failed: .* \(automatic rollback is off\)$/);
    assert.ok(!step.ops.some((op) => op.key === keys.deployment("web")));

    const first = planRolloutStep(input(v1, { failing: "pod web-y cannot start: RunContainerError: nope" }));
    assert.match(first.event?.message ?? "", /no earlier revision completed, nothing to roll back to/);
  });

  test("without a certain failure, a stalled rollout fails only at its progress deadline", () => {
    const state = afterFirstRollout();
    const rolling = commit(state, planRolloutStep(input(v2, { ...state, now: T0 })).ops);
    const before = planRolloutStep(input(v2, { ...rolling, now: T0 + 119_000 }));
    assert.equal(before.rolledBackTo, undefined);
    assert.equal(before.requeueAfterMs, 1050);
    const at = planRolloutStep(input(v2, { ...rolling, now: T0 + 120_000 }));
    assert.match(at.event?.message ?? "", /no progress for 120s \(progress deadline\)/);
    assert.ok(at.rolledBackTo);
  });

  test("the history keeps the newest revisions only", () => {
    const history: Versioned<Revision>[] = Array.from({ length: 10 }, (_, i) => ({
      value: { revision: i + 1, hash: `h${i}`, template: { image: `img:${i}` }, createdAt: "", cause: "" },
      version: 0,
    }));
    const step = planRolloutStep(input(v2, { history }));
    assert.deepEqual(
      step.ops.filter((op) => op.key.startsWith(keys.revisions("web"))).map((op) => [op.op, op.key]),
      [
        ["create", keys.revision("web", 11)],
        ["delete", keys.revision("web", 1)],
      ],
    );
  });
});
