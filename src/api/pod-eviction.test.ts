// Simultaneous evictions against one disruption budget, on the embedded store: each decides on the same pods,
// and the transaction that checks them lets exactly as many through as the budget allows.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Deployment, Pod } from "../core/types.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import { savePod } from "../store/testing/pod-test-support.js";
import { evictPod } from "./pod-eviction.js";

const at = "2024-01-01T00:00:00.000Z";

test("4 simultaneous evictions against replicas 4, maxUnavailable 1: exactly one goes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-eviction-"));
  const backend = EmbeddedBackend.open(dir);
  try {
    const store = backend.connect();
    const deployment: Deployment = {
      name: "web",
      image: "busybox",
      replicas: 4,
      strategy: { maxUnavailable: 1 },
      hash: "h1",
      generation: 1,
      createdAt: at,
      updatedAt: at,
    };
    await store.create(keys.deployment("web"), deployment);
    for (let i = 0; i < 4; i++) {
      const pod: Pod = {
        id: `p${i}`,
        name: `web-${i}`,
        deployment: "web",
        hash: "h1",
        template: { image: "busybox" },
        node: "n1",
        status: { phase: "Running", ready: true, restarts: 0 },
        createdAt: at,
        updatedAt: at,
      };
      await savePod(store, pod);
    }
    const outcomes = await Promise.all([0, 1, 2, 3].map((i) => evictPod(store, `p${i}`)));
    assert.equal(outcomes.filter((o) => o.evicted).length, 1, JSON.stringify(outcomes));
    for (const refused of outcomes.filter((o) => !o.evicted)) {
      assert.match(
        (refused as { message: string }).message,
        /needs 3 available pods .* and has 3|kept changing/,
      );
    }
    assert.equal((await store.list(keys.pods)).length, 3);
    await store.close();
  } finally {
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
