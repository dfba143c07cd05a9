import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Clock } from "../core/clock.js";
import { ConflictError, FencedError, ValidationError } from "../core/errors.js";
import type { Pod } from "../core/types.js";
import { compareAndSet, compareAndSetPod, DELETE, NO_CHANGE } from "./compare-and-set.js";
import { EmbeddedBackend } from "./embedded/embedded-backend.js";
import { keys } from "./keys.js";
import { podCreateOps } from "./pod-ops.js";
import type { Store } from "./store.js";
import { leadAsTest } from "./testing/contract-support.js";

/** Timers fire at once: the retry policy's waits are recorded, not slept. */
const clock: Clock & { waits: number[] } = {
  waits: [],
  now: () => 0,
  setTimeout(fn, ms) {
    this.waits.push(ms);
    queueMicrotask(fn);
    return () => undefined;
  },
};

function pod(id: string, node?: string): Pod {
  return {
    id,
    name: `web-${id}`,
    deployment: "web",
    hash: "h",
    template: { image: "orchestra/hello" },
    ...(node ? { node } : {}),
    status: { phase: "Pending", restarts: 0 },
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  };
}

describe("compareAndSet on the embedded store", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-cas-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
  });
  after(async () => {
    await store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("creates a missing key, sets an existing one at the version read, deletes, or writes nothing", async () => {
    const key = "/things/a";
    const created = await compareAndSet<{ n: number }>(store, key, (current) => ({
      n: (current?.value.n ?? 0) + 1,
    }));
    assert.deepEqual(created, {
      before: undefined,
      after: { key, value: { n: 1 }, version: 0 },
      written: true,
    });
    const set = await compareAndSet<{ n: number }>(store, key, (current) => ({
      n: (current?.value.n ?? 0) + 1,
    }));
    assert.deepEqual(set.after, { key, value: { n: 2 }, version: 1 });
    assert.deepEqual(await store.get(key), set.after);

    const unchanged = await compareAndSet(store, key, () => NO_CHANGE);
    assert.equal(unchanged.written, false);
    assert.deepEqual(unchanged.after, set.after);

    const deleted = await compareAndSet(store, key, () => DELETE);
    assert.deepEqual([deleted.written, deleted.after], [true, undefined]);
    assert.equal(await store.get(key), undefined);
    assert.equal((await compareAndSet(store, key, () => DELETE)).written, false, "nothing left to delete");
  });

  test("a lost race reads again and decides again; the backoff is the policy's", async () => {
    const key = "/things/raced";
    await store.set(key, { n: 0 });
    clock.waits.length = 0;
    let calls = 0;
    const result = await compareAndSet<{ n: number }>(
      store,
      key,
      (current) => {
        calls++;
        return { n: (current?.value.n ?? 0) + 1 };
      },
      {
        clock,
        // Another writer gets in between our read and our write, twice.
        context: async () => {
          if (calls < 2) await store.set(key, { n: 100 + calls });
        },
      },
    );
    assert.equal(calls, 3);
    assert.deepEqual(clock.waits, [10, 20]);
    assert.deepEqual(result.after?.value, { n: 102 });
  });

  test("gives up after the policy's attempts with a ConflictError, or `exhausted`'s error", async () => {
    const key = "/things/busy";
    await store.set(key, { n: 0 });
    const interfere = async () => {
      await store.set(key, { n: Math.random() });
    };
    await assert.rejects(
      compareAndSet(store, key, () => ({ n: 1 }), { clock, context: interfere }),
      ConflictError,
    );
    await assert.rejects(
      compareAndSet(store, key, () => ({ n: 1 }), {
        clock,
        context: interfere,
        exhausted: () => new ConflictError("thing busy; retry"),
      }),
      { message: "thing busy; retry" },
    );
  });

  test("an error thrown by the change ends the update at once, unretried", async () => {
    let calls = 0;
    await assert.rejects(
      compareAndSet(store, "/things/x", () => {
        calls++;
        throw new ConflictError("If-Match failed");
      }),
      { message: "If-Match failed" },
    );
    assert.equal(calls, 1);
    await assert.rejects(
      compareAndSet(store, "/things/x", () => {
        throw new ValidationError("x", "bad");
      }),
      ValidationError,
    );
  });

  test("decides first on `known` without reading, and reads only after a conflict", async () => {
    const key = "/things/known";
    const stored = await store.set(key, { n: 5 });
    const decidedOn: number[] = [];
    await compareAndSet<{ n: number }>(
      store,
      key,
      (current) => {
        decidedOn.push(current?.value.n ?? -1);
        return { n: 6 };
      },
      { clock, known: { ...stored, value: { n: 4 }, version: stored.version - 1 } },
    );
    assert.deepEqual(decidedOn, [4, 5]);
  });

  test("a leader's write is fenced by its lease and never retried once deposed", async () => {
    const { lease, candidacy } = await leadAsTest(store, "cas-test");
    const granted = lease();
    assert.ok(granted);
    await compareAndSet(store, "/things/fenced", () => ({ n: 1 }), { lease: granted });
    await candidacy.resign();
    let calls = 0;
    await assert.rejects(
      compareAndSet(
        store,
        "/things/fenced",
        () => {
          calls++;
          return { n: 2 };
        },
        { lease: granted, clock },
      ),
      FencedError,
    );
    assert.equal(calls, 1);
  });

  test("compareAndSetPod moves the pod's assignment with its node", async () => {
    await store.transaction(podCreateOps(pod("p1", "n1")));
    const moved = await compareAndSetPod(store, "p1", (current) =>
      current ? { ...current.value, node: "n2" } : NO_CHANGE,
    );
    assert.equal(moved.after?.value.node, "n2");
    assert.equal(await store.get(keys.assignment("n1", "p1")), undefined);
    assert.deepEqual((await store.get(keys.assignment("n2", "p1")))?.value, {
      pod: "web-p1",
      deployment: "web",
    });

    await compareAndSetPod(store, "p1", () => DELETE);
    assert.equal(await store.get(keys.pod("p1")), undefined);
    assert.equal(await store.get(keys.assignment("n2", "p1")), undefined);
  });
});
