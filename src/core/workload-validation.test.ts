import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveBudget, resolveStrategy } from "./defaults.js";
import { ValidationError } from "./errors.js";
import { revisionHash } from "./revision.js";
import { validateDeploymentSpec } from "./validation.js";

const base = { name: "web", image: "orchestra/hello" };

function rejects(input: Record<string, unknown>, field: string, message: RegExp): void {
  assert.throws(
    () => validateDeploymentSpec({ ...base, ...input }),
    (err: unknown) => err instanceof ValidationError && err.field === field && message.test(err.message),
    `${JSON.stringify(input)} should fail on ${field}`,
  );
}

describe("health checks", () => {
  test("fill in the timing defaults", () => {
    const spec = validateDeploymentSpec({ ...base, healthCheck: { http: { path: "/healthz", port: 8080 } } });
    assert.deepEqual(spec.healthCheck, {
      http: { path: "/healthz", port: 8080 },
      intervalSeconds: 5,
      timeoutSeconds: 2,
      retries: 3,
      startPeriodSeconds: 0,
    });
  });
  test("need exactly one probe and valid fields", () => {
    rejects({ healthCheck: {} }, "healthCheck", /exactly one of exec, http or tcp/);
    rejects({ healthCheck: { exec: ["true"], tcp: { port: 1 } } }, "healthCheck", /exactly one/);
    rejects({ healthCheck: { exec: "true" } }, "healthCheck.exec", /array of strings/);
    rejects({ healthCheck: { tcp: { port: 70000 } } }, "healthCheck.tcp.port", /1 to 65535/);
    rejects({ healthCheck: { http: { path: "x", port: 80 } } }, "healthCheck.http.path", /starting with/);
    rejects({ healthCheck: { tcp: { port: 80 }, retries: 0 } }, "healthCheck.retries", /from 1 to 100/);
    rejects({ healthCheck: { tcp: { port: 80 }, every: 3 } }, "healthCheck.every", /unknown field/);
  });
});

describe("placement", () => {
  test("constraints and strategy", () => {
    const spec = validateDeploymentSpec({
      ...base,
      placement: {
        strategy: "binpack",
        constraints: [
          { label: "zone", operator: "==", value: "east" },
          { label: "disk", operator: "in", values: ["ssd", "nvme"] },
          { label: "gpu", operator: "notexists" },
        ],
      },
    });
    assert.equal(spec.placement?.strategy, "binpack");
    assert.equal(spec.placement?.constraints?.length, 3);
  });
  test("bad constraints name the field", () => {
    rejects({ placement: { strategy: "random" } }, "placement.strategy", /spread.*binpack/);
    rejects(
      { placement: { constraints: [{ label: "zone", operator: "~" }] } },
      "placement.constraints[0].operator",
      /one of/,
    );
    rejects(
      { placement: { constraints: [{ label: "zone", operator: "==" }] } },
      "placement.constraints[0].value",
      /required/,
    );
    rejects(
      { placement: { constraints: [{ label: "z", operator: "in", values: [] }] } },
      "placement.constraints[0].values",
      /non-empty/,
    );
  });
});

describe("rollout strategy and restart policy", () => {
  test("strategy is kept as given and resolved with the defaults", () => {
    const spec = validateDeploymentSpec({ ...base, strategy: { maxUnavailable: 0, maxSurge: "50%" } });
    assert.deepEqual(spec.strategy, { maxUnavailable: 0, maxSurge: "50%" });
    assert.deepEqual(resolveStrategy(spec.strategy), {
      maxSurge: "50%",
      maxUnavailable: 0,
      minReadySeconds: 0,
      progressDeadlineSeconds: 120,
      autoRollback: true,
    });
    rejects({ strategy: { maxSurge: 0, maxUnavailable: 0 } }, "strategy.maxUnavailable", /never progress/);
    rejects({ strategy: { maxSurge: "150%" } }, "strategy.maxSurge", /percentage/);
    rejects({ strategy: { autoRollback: "yes" } }, "strategy.autoRollback", /true or false/);
  });
  test("percentages round surge up and unavailable down", () => {
    assert.equal(resolveBudget("25%", 1, "up"), 1);
    assert.equal(resolveBudget("25%", 1, "down"), 0);
    assert.equal(resolveBudget("25%", 10, "down"), 2);
    assert.equal(resolveBudget(3, 10, "up"), 3);
  });
  test("restart policy defaults and bounds", () => {
    const spec = validateDeploymentSpec({ ...base, restartPolicy: { limit: 2 } });
    assert.deepEqual(spec.restartPolicy, {
      backoffInitialSeconds: 1,
      backoffMaxSeconds: 300,
      resetAfterSeconds: 600,
      limit: 2,
    });
    rejects(
      { restartPolicy: { backoffInitialSeconds: 10, backoffMaxSeconds: 5 } },
      "restartPolicy.backoffMaxSeconds",
      /less than/,
    );
  });
  test("the strategy is not part of the revision; health and placement are", () => {
    const plain = revisionHash(validateDeploymentSpec(base));
    assert.equal(revisionHash(validateDeploymentSpec({ ...base, strategy: { maxSurge: 2 } })), plain);
    assert.notEqual(
      revisionHash(validateDeploymentSpec({ ...base, healthCheck: { tcp: { port: 80 } } })),
      plain,
    );
    assert.notEqual(
      revisionHash(validateDeploymentSpec({ ...base, placement: { strategy: "binpack" } })),
      plain,
    );
  });
});
