import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Clock } from "../core/clock.js";
import { ConflictError } from "../core/errors.js";
import type { Deployment } from "../core/types.js";
import type { Entry } from "../store/store.js";
import type { ApiStore } from "./deadline-store.js";
import { applyDeployment, deleteDeployment } from "./deployment-writes.js";

const stored: Deployment = {
  name: "web",
  image: "orchestra/hello:1",
  replicas: 1,
  hash: "h1",
  generation: 3,
  createdAt: "2024-01-01T00:00:00.000Z",
  updatedAt: "2024-01-01T00:00:00.000Z",
};

/** Timers fire at once, so the retry policy's waits cost nothing here. */
const clock: Clock = {
  now: () => Date.parse("2024-02-01T00:00:00.000Z"),
  setTimeout(fn) {
    queueMicrotask(fn);
    return () => undefined;
  },
};

/** A store where every write loses its race (another API server always writes first). */
function contestedStore(): ApiStore & { reads: number; writes: number } {
  const lose = async (): Promise<never> => {
    store.writes++;
    throw new ConflictError("/deployments/web is at another version");
  };
  const store = {
    reads: 0,
    writes: 0,
    sessionState: "connected" as const,
    async get<T>(key: string): Promise<Entry<T> | undefined> {
      store.reads++;
      return { key, value: stored as T, version: store.reads };
    },
    list: async () => [],
    listPage: async () => ({ entries: [] }),
    count: async () => 0,
    create: lose,
    set: lose,
    delete: lose,
    transaction: lose,
  };
  return store;
}

describe("deployment writes", () => {
  test("a write that keeps losing its race gives up after the retry policy's 5 attempts with a 409", async () => {
    const store = contestedStore();
    await assert.rejects(applyDeployment(store, { ...stored, replicas: 2 }, { kind: "none" }, clock), {
      name: "ConflictError",
      message: "deployment web is being changed by others at the same time; retry",
    });
    assert.deepEqual([store.reads, store.writes], [5, 5]);
    await assert.rejects(deleteDeployment(contestedStore(), "web", { kind: "none" }, clock), {
      message: "deployment web is being changed by others at the same time; retry",
    });
  });

  test("a failed If-Match is a 409 at once, not a race to retry", async () => {
    const store = contestedStore();
    await assert.rejects(
      applyDeployment(store, { ...stored, replicas: 2 }, { kind: "generation", generation: 2 }, clock),
      { name: "ConflictError", message: /is at generation 3, not 2 as If-Match requires/ },
    );
    assert.deepEqual([store.reads, store.writes], [1, 0]);
  });
});
