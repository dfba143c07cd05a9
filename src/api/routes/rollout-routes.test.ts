import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { assertAnswerMatchesContract } from "../../../test/support/api-contract.js";
import { podTemplateOf, revisionHash } from "../../core/revision.js";
import type { Deployment, DeploymentSpec, Revision, RolloutStatus } from "../../core/types.js";
import { EmbeddedBackend } from "../../store/embedded/embedded-backend.js";
import { keys } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import { buildApiServer } from "../server.js";

function stored(spec: DeploymentSpec, generation: number): Deployment {
  const at = "2024-01-01T00:00:00.000Z";
  return { ...spec, hash: revisionHash(podTemplateOf(spec)), generation, createdAt: at, updatedAt: at };
}

function revision(n: number, spec: DeploymentSpec, completed = true): Revision {
  return {
    revision: n,
    hash: revisionHash(podTemplateOf(spec)),
    template: podTemplateOf(spec),
    createdAt: "2024-01-01T00:00:00.000Z",
    cause: `revision ${n}`,
    ...(completed ? { completedAt: "2024-01-01T00:01:00.000Z" } : {}),
  };
}

describe("rollout routes over HTTP on the embedded store", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let app: FastifyInstance;
  let base: string;

  const v1: DeploymentSpec = { name: "web", image: "orchestra/hello:1", replicas: 2 };
  const v2: DeploymentSpec = { ...v1, image: "orchestra/hello:2", env: { COLOR: "blue" }, replicas: 3 };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-rollout-api-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    app = buildApiServer({ store });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });

  afterEach(async () => {
    await app.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = { status: response.status, body: (await response.json()) as Record<string, unknown> };
    await assertAnswerMatchesContract(method, path, answer.status, answer.body);
    return answer;
  }

  test("unknown deployments are 404 on every route", async () => {
    for (const [method, path] of [
      ["GET", "/deployments/nope/rollout"],
      ["GET", "/deployments/nope/history"],
      ["POST", "/deployments/nope/rollback"],
    ] as const) {
      const answer = await call(method, path, method === "POST" ? {} : undefined);
      assert.equal(answer.status, 404, `${method} ${path}`);
      assert.equal(answer.body.error, "NotFound");
    }
  });

  test("rollout: the controller's status, and whether it has seen the latest spec", async () => {
    await store.set(keys.deployment("web"), stored(v1, 1));
    const before = await call("GET", "/deployments/web/rollout");
    assert.equal(before.status, 200);
    assert.equal(before.body.observed, false);
    assert.match(String(before.body.message), /waiting for the controller/);

    const status: RolloutStatus = {
      revision: 1,
      hash: stored(v1, 1).hash,
      observedGeneration: 1,
      state: "complete",
      message: "revision 1 rolled out",
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      totalReplicas: 2,
      startedAt: "2024-01-01T00:00:00.000Z",
      updatedAt: "2024-01-01T00:00:00.000Z",
      progressAt: "2024-01-01T00:00:00.000Z",
    };
    await store.set(keys.rollout("web"), status);
    assert.deepEqual((await call("GET", "/deployments/web/rollout")).body, { ...status, observed: true });
    await store.set(keys.deployment("web"), stored(v2, 2));
    assert.equal((await call("GET", "/deployments/web/rollout")).body.observed, false);
  });

  test("history lists revisions oldest first; rollback goes to the previous one or the one asked for", async () => {
    const v3: DeploymentSpec = { ...v1, image: "orchestra/hello:3" };
    await store.set(keys.deployment("web"), { ...stored(v3, 5), replicas: 4 });
    for (const [n, spec] of [
      [10, v3],
      [2, v1],
      [9, v2],
    ] as const)
      await store.set(keys.revision("web", n), revision(n, spec));

    const history = await call("GET", "/deployments/web/history");
    assert.equal(history.status, 200);
    assert.deepEqual(
      (history.body as unknown as Revision[]).map((r) => r.revision),
      [2, 9, 10],
    );

    const undo = await call("POST", "/deployments/web/rollback", {});
    assert.equal(undo.status, 200);
    assert.equal(undo.body.toRevision, 9);
    const after = (await store.get<Deployment>(keys.deployment("web")))?.value;
    assert.equal(after?.image, "orchestra/hello:2");
    assert.deepEqual(after?.env, { COLOR: "blue" });
    assert.equal(after?.replicas, 4, "replicas are not part of a revision");
    assert.equal(after?.generation, 6);
    assert.equal(after?.hash, stored(v2, 1).hash);

    const to = await call("POST", "/deployments/web/rollback", { toRevision: 2 });
    assert.equal(to.status, 200);
    const back = (await store.get<Deployment>(keys.deployment("web")))?.value;
    assert.equal(back?.image, "orchestra/hello:1");
    assert.equal(back?.env, undefined);

    assert.equal((await call("POST", "/deployments/web/rollback", { toRevision: 2 })).status, 409);
    assert.equal((await call("POST", "/deployments/web/rollback", { toRevision: 7 })).status, 404);
    const bad = await call("POST", "/deployments/web/rollback", { toRevision: "x" });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /^toRevision: /);
  });

  test("rollback with no earlier revision is a 409 and changes nothing", async () => {
    await store.set(keys.deployment("web"), stored(v1, 1));
    await store.set(keys.revision("web", 1), revision(1, v1));
    const answer = await call("POST", "/deployments/web/rollback", {});
    assert.equal(answer.status, 409);
    assert.match(String(answer.body.message), /no earlier revision/);
    assert.equal((await store.get<Deployment>(keys.deployment("web")))?.value.generation, 1);
  });
});
