import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ApiClient, RolloutView } from "../api-client.js";
import { CliError } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { describeRollout, parseDuration, waitForRollout } from "./rollout.js";

function view(fields: Partial<RolloutView>): RolloutView {
  const at = "2024-01-01T00:00:00.000Z";
  return {
    revision: 2,
    hash: "abc",
    observedGeneration: 2,
    state: "progressing",
    message: "rolling out revision 2",
    replicas: 4,
    updatedReplicas: 0,
    readyReplicas: 4,
    availableReplicas: 0,
    totalReplicas: 4,
    startedAt: at,
    updatedAt: at,
    progressAt: at,
    observed: true,
    ...fields,
  };
}

/** An API client that serves the given rollout views in turn (the last one for ever). */
function scripted(views: RolloutView[]): ApiClient {
  let next = 0;
  const client = {
    getRollout: async () => views[Math.min(next++, views.length - 1)] as RolloutView,
  };
  return client as unknown as ApiClient;
}

function captureIo(): CliIo & { output: string } {
  const io = {
    output: "",
    out(text: string) {
      io.output += text;
    },
    err() {},
    readStdin: async () => "",
    env: {},
    now: () => Date.now(),
  };
  return io;
}

describe("rollout status", () => {
  test("parseDuration takes seconds, units and combinations, and refuses the rest", () => {
    assert.equal(parseDuration("90"), 90_000);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("250ms"), 250);
    assert.throws(() => parseDuration("5 minutes"), /--timeout: expected a duration/);
  });

  test("prints each kubectl-style progress line once, then success", async () => {
    const io = captureIo();
    await waitForRollout(
      scripted([
        view({ observed: false }),
        view({ updatedReplicas: 1, totalReplicas: 5 }),
        view({ updatedReplicas: 1, totalReplicas: 5 }),
        view({ updatedReplicas: 4, totalReplicas: 5, availableReplicas: 3 }),
        view({ updatedReplicas: 4, totalReplicas: 4, availableReplicas: 2 }),
        view({ updatedReplicas: 4, totalReplicas: 4, availableReplicas: 4, state: "complete" }),
      ]),
      "web",
      io,
      { timeoutMs: 10_000, pollMs: 1 },
    );
    assert.equal(
      io.output,
      [
        "Waiting for deployment spec update to be observed...",
        'Waiting for deployment "web" rollout to finish: 1 out of 4 new replicas have been updated...',
        'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
        'Waiting for deployment "web" rollout to finish: 2 of 4 updated replicas are available...',
        'deployment "web" successfully rolled out',
        "",
      ].join("\n"),
    );
  });

  test("a rollback or a failure ends the wait with an error saying why", async () => {
    const message = "revision 2 failed: pod web-x is unhealthy; rolled back to revision 1";
    await assert.rejects(
      waitForRollout(scripted([view({}), view({ state: "rolled-back", message })]), "web", captureIo(), {
        timeoutMs: 10_000,
        pollMs: 1,
      }),
      (error: unknown) =>
        error instanceof CliError &&
        error.exitCode === 1 &&
        error.message.includes(message) &&
        /rolled back/.test(error.message),
    );
    await assert.rejects(
      waitForRollout(scripted([view({ state: "failed", message: "no progress" })]), "web", captureIo(), {
        timeoutMs: 10_000,
      }),
      /rollout failed: no progress/,
    );
  });

  test("gives up after the timeout", async () => {
    await assert.rejects(
      waitForRollout(scripted([view({})]), "web", captureIo(), { timeoutMs: 30, pollMs: 5 }),
      /timed out waiting for deployment "web" rollout to finish/,
    );
  });

  test("describeRollout: done only when every replica is updated and available and no old pod remains", () => {
    assert.equal(describeRollout("web", view({ updatedReplicas: 4, availableReplicas: 4 })).done, true);
    assert.equal(
      describeRollout("web", view({ updatedReplicas: 4, availableReplicas: 4, totalReplicas: 5 })).done,
      false,
    );
  });
});
