import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ConflictError, FencedError } from "../core/errors.js";
import { bind } from "../core/pod-transitions.js";
import type { Pod } from "../core/types.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import type { Candidacy, Lease, Store } from "../store/store.js";
import { leadAsTest } from "../store/testing/contract-support.js";
import { commitPodWrites, type PodWrite } from "./binding.js";

function pod(id: string, message?: string): Pod {
  return {
    id,
    name: `web-${id.slice(0, 5)}`,
    deployment: "web",
    hash: "h1",
    template: { image: "busybox" },
    status: { phase: "Pending", restarts: 0, ...(message ? { message } : {}) },
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  };
}

describe("binding", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let lease: () => Lease | undefined;
  let candidacy: Candidacy;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-binding-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    ({ lease, candidacy } = await leadAsTest(store, keys.elections.scheduler));
  });

  afterEach(() => {
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function seedPods(count: number, message?: string): Promise<PodWrite[]> {
    const writes: PodWrite[] = [];
    for (let i = 0; i < count; i++) {
      const id = `p${String(i).padStart(9, "0")}`;
      const entry = await store.set(keys.pod(id), pod(id, message));
      writes.push({
        id,
        version: entry.version,
        previousNode: undefined,
        value: bind(entry.value, i % 2 ? "n1" : "n2", "2024-02-02T00:00:00.000Z"),
      });
    }
    return writes;
  }

  test("writes every pod at its version, in chunks", async () => {
    const writes = await seedPods(7);
    const outcome = await commitPodWrites(store, lease() as Lease, writes, { chunkSize: 3, concurrency: 2 });
    assert.deepEqual([...outcome.written].sort(), writes.map((w) => w.id).sort());
    assert.deepEqual(outcome.failed, []);
    for (const entry of await store.list<Pod>(keys.pods)) {
      assert.equal(entry.version, 1);
      assert.ok(entry.value.node === "n1" || entry.value.node === "n2");
    }
    // Each node's worker finds exactly its pods under its assignments.
    const assigned = async (node: string) =>
      (await store.list(keys.assignments(node))).map((entry) => entry.key.split("/").pop()).sort();
    assert.deepEqual(await assigned("n1"), ["p000000001", "p000000003", "p000000005"]);
    assert.deepEqual(await assigned("n2"), ["p000000000", "p000000002", "p000000004", "p000000006"]);
  });

  test("moving a pod to another node moves its assignment; unbinding removes it", async () => {
    const [write] = await seedPods(1);
    assert.ok(write);
    await commitPodWrites(store, lease() as Lease, [write]);
    const bound = await store.get<Pod>(keys.pod(write.id));
    assert.ok(bound);
    const { node: _from, ...unbound } = bound.value;
    const outcome = await commitPodWrites(store, lease() as Lease, [
      { id: write.id, version: bound.version, previousNode: "n2", value: unbound },
    ]);
    assert.deepEqual(outcome.written, [write.id]);
    assert.deepEqual(await store.list(keys.assignments("n2")), []);
    assert.equal((await store.get<Pod>(keys.pod(write.id)))?.value.node, undefined);
  });

  test("a pod changed since it was read fails alone; the rest of its chunk is written", async () => {
    const writes = await seedPods(4);
    await store.set(keys.pod("p000000002"), { ...pod("p000000002"), template: { image: "changed" } });
    await store.delete(keys.pod("p000000003"));
    const outcome = await commitPodWrites(store, lease() as Lease, writes, { chunkSize: 10 });
    assert.deepEqual([...outcome.written].sort(), ["p000000000", "p000000001"]);
    assert.deepEqual(
      outcome.failed.map((f) => f.id),
      ["p000000002", "p000000003"],
    );
    assert.ok(outcome.failed[0]?.error instanceof ConflictError);
    const changed = await store.get<Pod>(keys.pod("p000000002"));
    assert.equal(changed?.value.node, undefined, "the newer write is not overwritten");
    assert.equal(await store.get(keys.assignment("n2", "p000000002")), undefined, "nor assigned");
    assert.equal(changed?.value.template.image, "changed");
  });

  test("a lost lease rejects with FencedError and writes nothing", async () => {
    const writes = await seedPods(3);
    const stale = lease() as Lease;
    await candidacy.resign();
    await assert.rejects(commitPodWrites(store, stale, writes, { chunkSize: 1 }), FencedError);
    for (const entry of await store.list<Pod>(keys.pods)) assert.equal(entry.value.node, undefined);
  });
});
