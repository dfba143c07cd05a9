import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { FencedError } from "../core/errors.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import type { Lease } from "../store/store.js";
import { eventually } from "../store/testing/contract-support.js";
import { LeaderLoop } from "./leader-loop.js";

describe("LeaderLoop", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  const loops: LeaderLoop[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-leader-"));
    backend = EmbeddedBackend.open(dir);
  });

  afterEach(async () => {
    for (const loop of loops.splice(0)) await loop.stop();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function candidate(name: string) {
    const store = backend.connect();
    const log: string[] = [];
    const leases: Lease[] = [];
    const loop = new LeaderLoop({
      store,
      election: "test",
      candidate: name,
      onElected: (lease) => {
        leases.push(lease);
        log.push("started");
      },
      onDeposed: () => {
        log.push("stopped");
      },
    });
    loops.push(loop);
    return { store, loop, log, leases };
  }

  test("one candidate leads and writes with its lease; the other stands by until it stops", async () => {
    const first = candidate("one");
    const second = candidate("two");
    await first.loop.start();
    await eventually(() => assert.deepEqual(first.log, ["started"]));
    await second.loop.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(first.loop.leading, true);
    assert.equal(second.loop.leading, false);
    assert.deepEqual(second.log, []);

    const lease = first.loop.lease as Lease;
    await first.store.transaction([{ op: "create", key: "/things/a", value: 1 }], lease);

    await first.loop.stop();
    assert.deepEqual(first.log, ["started", "stopped"]);
    assert.equal(first.loop.lease, undefined);
    await eventually(() => assert.deepEqual(second.log, ["started"]));
    await assert.rejects(
      first.store.transaction([{ op: "create", key: "/things/b", value: 1 }], lease),
      FencedError,
    );
    await second.store.transaction([{ op: "create", key: "/things/b", value: 1 }], second.loop.lease);
  });

  test("a session expiry deposes the leader at once; its old lease is fenced", async () => {
    const first = candidate("one");
    const second = candidate("two");
    await first.loop.start();
    await eventually(() => assert.equal(first.loop.leading, true));
    await second.loop.start();
    const lease = first.loop.lease as Lease;
    backend.expireSession(first.store);
    assert.equal(first.loop.leading, false, "no lease the moment the store says so");
    await eventually(() => assert.deepEqual(first.log, ["started", "stopped"]));
    await eventually(() => assert.deepEqual(second.log, ["started"]));
    await assert.rejects(
      first.store.transaction([{ op: "create", key: "/x/y", value: 1 }], lease),
      FencedError,
    );
    // The first re-joined the election by itself and leads again once the second leaves.
    await second.loop.stop();
    await eventually(() => assert.deepEqual(first.log, ["started", "stopped", "started"]));
    assert.notDeepEqual(first.leases[1], first.leases[0]);
  });

  test("stop before being elected leaves the election and starts nothing", async () => {
    const first = candidate("one");
    const second = candidate("two");
    await first.loop.start();
    await second.loop.start();
    await second.loop.stop();
    await first.loop.stop();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(second.log, []);
    assert.equal(await backend.connect().leader("test"), undefined);
  });
});
