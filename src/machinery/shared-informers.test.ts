import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { Pod } from "../core/types.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { eventually } from "../store/testing/contract-support.js";
import { SharedInformers } from "./shared-informers.js";

/** A store that counts the watches opened and stopped per directory. */
function countingWatches(store: Store): {
  store: Store;
  opened: Map<string, number>;
  stopped: Map<string, number>;
} {
  const opened = new Map<string, number>();
  const stopped = new Map<string, number>();
  const bump = (counts: Map<string, number>, dir: string) => counts.set(dir, (counts.get(dir) ?? 0) + 1);
  const wrapped: Store = Object.create(store);
  wrapped.watch = async (dir, listener) => {
    bump(opened, dir);
    const watch = await store.watch(dir, listener);
    return {
      initial: watch.initial,
      stop: () => {
        bump(stopped, dir);
        watch.stop();
      },
    };
  };
  return { store: wrapped, opened, stopped };
}

function pod(id: string, deployment: string): Pod {
  return {
    id,
    name: `${deployment}-${id}`,
    deployment,
    hash: "h",
    template: { image: "orchestra/hello" },
    status: { phase: "Pending", restarts: 0 },
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  };
}

describe("SharedInformers", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-shared-informers-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
  });
  afterEach(() => {
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("one informer, one watch per directory, however many components ask and start", async () => {
    const counting = countingWatches(store);
    const informers = new SharedInformers(counting.store, { resyncMs: 0 });
    assert.equal(informers.pods(), informers.pods());
    assert.equal(informers.informer(keys.pods), informers.pods());
    informers.nodes();
    // Two components, each starting the set as their own start does.
    const first = SharedInformers.forComponent(store, informers, {});
    const second = SharedInformers.forComponent(store, informers, {});
    assert.equal(first.informers, informers);
    await Promise.all([first.lifecycle.start(), second.lifecycle.start(), informers.start()]);
    // A component stopping leaves the shared informers running for the others.
    first.lifecycle.stop();
    await store.set(keys.pod("p1"), pod("p1", "web"));
    await eventually(() => assert.equal(informers.pods().byIndex("web").length, 1));
    informers.stop();
    assert.deepEqual(Object.fromEntries(counting.opened), { [keys.pods]: 1, [keys.nodes]: 1 });
    assert.deepEqual(Object.fromEntries(counting.stopped), { [keys.pods]: 1, [keys.nodes]: 1 });
    assert.deepEqual(informers.dirs, [keys.pods, keys.nodes]);
  });

  test("an informer asked for after the start is started at once", async () => {
    await store.set(keys.deployment("web"), { name: "web" });
    const informers = new SharedInformers(store, { resyncMs: 0 });
    await informers.start();
    const deployments = informers.deployments();
    await eventually(() => assert.deepEqual(deployments.names(), ["web"]));
    informers.stop();
  });

  test("a component without shared informers owns its own: its lifecycle stops them", async () => {
    const counting = countingWatches(store);
    const own = SharedInformers.forComponent(counting.store, undefined, { resyncMs: 0 });
    own.informers.nodeConfigs();
    await own.lifecycle.start();
    own.lifecycle.stop();
    assert.deepEqual(Object.fromEntries(counting.stopped), { [keys.nodeConfigs]: 1 });
  });

  test("a second index on one directory is refused", () => {
    const informers = new SharedInformers(store);
    informers.pods();
    assert.throws(() => informers.informer<Pod>(keys.pods, (p) => p.name), /already indexed otherwise/);
  });
});
