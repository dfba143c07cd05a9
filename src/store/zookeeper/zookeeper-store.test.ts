// The ZooKeeper store on a real ZooKeeper server: the shared Store contract, then what is specific to
// ZooKeeper (root path, server restarts, session expiry, watch re-arming, fencing, bounded waits).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { startZooKeeper } from "../../../test/support/zookeeper-server.js";
import { FencedError, NotFoundError, UnavailableError } from "../../core/errors.js";
import type { Candidacy, Entry, Lease, SessionState, Store, WatchEvent } from "../store.js";
import { storeContract } from "../testing/contract.js";
import { eventually } from "../testing/contract-support.js";
import { createZooKeeperHarness, type ZooKeeperHarness } from "./testing/zookeeper-test-harness.js";

const server = await startZooKeeper();
after(() => server.stop());

storeContract("zookeeper", async () => createZooKeeperHarness(server));

/** Runs `body` with a fresh harness (its own root) and tears it down even when the body fails. */
async function withHarness(
  body: (harness: ZooKeeperHarness) => Promise<void>,
  options: { sessionTimeoutMs?: number; root?: string } = {},
): Promise<void> {
  const harness = createZooKeeperHarness(server, options);
  try {
    await body(harness);
  } finally {
    await harness.teardown();
  }
}

/** Applies watch events to the initial entries, as an informer's cache would, and keeps every event. */
function mirror<T>(): {
  events: WatchEvent<T>[];
  listener: (event: WatchEvent<T>) => void;
  start(initial: Entry<T>[]): void;
  entries(): Entry<T>[];
} {
  const state = new Map<string, Entry<T>>();
  const events: WatchEvent<T>[] = [];
  return {
    events,
    listener(event) {
      events.push(event);
      if (event.type === "put")
        state.set(event.key, { key: event.key, value: event.value, version: event.version });
      else state.delete(event.key);
    },
    start(initial) {
      for (const entry of initial) state.set(entry.key, entry);
    },
    entries: () => [...state.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
  };
}

function sessionStates(store: Store): SessionState[] {
  const states: SessionState[] = [];
  store.onSession((state) => states.push(state));
  return states;
}

describe("ZooKeeper store", () => {
  test("keeps every key under its root path, which it creates when missing", async () => {
    const base = `/root-${randomUUID().slice(0, 8)}`;
    await withHarness(
      async (deep) => {
        const store = await deep.connect();
        await store.set("/pods/p1", { phase: "Running" });
        await withHarness(
          async (outer) => {
            const viewer = await outer.connect();
            assert.deepEqual(await viewer.get("/deep/root/pods/p1"), {
              key: "/deep/root/pods/p1",
              value: { phase: "Running" },
              version: 0,
            });
          },
          { root: base },
        );
        await withHarness(
          async (other) => {
            const stranger = await other.connect();
            assert.equal(await stranger.get("/pods/p1"), undefined);
            assert.deepEqual(await stranger.list("/pods"), []);
          },
          { root: `${base}-other` },
        );
      },
      { root: `${base}/deep/root` },
    );
  });

  test("checks expected version 0 in transactions (the client library's own check ignores it)", async () => {
    await withHarness(async (harness) => {
      const store = await harness.connect();
      await store.create("/k", "a");
      await store.set("/k", "b", 0);
      await store.create("/other", 1);
      for (const op of [
        { op: "check", key: "/k", version: 0 },
        { op: "set", key: "/k", value: "c", version: 0 },
        { op: "delete", key: "/k", version: 0 },
      ] as const) {
        await assert.rejects(
          store.transaction([op, { op: "set", key: "/other", value: 2 }]),
          (error: Error) => error.name === "ConflictError" && /\/k/.test(error.message),
        );
      }
      assert.deepEqual(await store.get("/k"), { key: "/k", value: "b", version: 1 });
      assert.deepEqual(await store.get("/other"), { key: "/other", value: 1, version: 0 });
      await store.transaction([
        { op: "check", key: "/k", version: 1 },
        { op: "set", key: "/other", value: 2, version: 0 },
        { op: "create", key: "/new/deep/key", value: true },
      ]);
      assert.deepEqual(await store.get("/other"), { key: "/other", value: 2, version: 1 });
      assert.deepEqual(await store.get("/new/deep/key"), { key: "/new/deep/key", value: true, version: 0 });
      await assert.rejects(store.transaction([{ op: "check", key: "/missing", version: 0 }]), NotFoundError);
    });
  });

  test("reconnects when the server restarts on the same port, keeping its session and watches", async () => {
    const own = await startZooKeeper();
    try {
      const harness = createZooKeeperHarness(own, { sessionTimeoutMs: 4000 });
      try {
        const store = await harness.connect({ operationTimeoutMs: 1000 });
        const writer = await harness.connect();
        const states = sessionStates(store);
        await store.create("/nodes/w1", { address: "10.0.0.1" }, { ephemeral: true });
        const seen = mirror<number>();
        seen.start((await store.watch<number>("/deployments", seen.listener)).initial);

        await own.halt();
        await eventually(() => assert.equal(store.sessionState, "disconnected"));
        const started = Date.now();
        await assert.rejects(store.get("/nodes/w1"), UnavailableError);
        assert.ok(Date.now() - started < 3000, "a call while disconnected must give up within its timeout");

        await own.restart();
        await eventually(() => assert.equal(store.sessionState, "connected"), 15_000);
        assert.deepEqual(states, ["disconnected", "connected"]);
        assert.deepEqual((await store.get("/nodes/w1"))?.value, { address: "10.0.0.1" });
        await eventually(() => assert.equal(writer.sessionState, "connected"), 15_000);
        await writer.set("/deployments/web", 3);
        await eventually(() =>
          assert.deepEqual(seen.entries(), [{ key: "/deployments/web", value: 3, version: 0 }]),
        );
      } finally {
        await harness.teardown();
      }
    } finally {
      await own.stop();
    }
  });

  test("gives up with UnavailableError, within the operation timeout, while cut off from the server", async () => {
    await withHarness(async (harness) => {
      const store = await harness.connect({ operationTimeoutMs: 500 });
      await store.set("/k", 1);
      harness.proxyOf(store).pause();
      try {
        await eventually(() => assert.equal(store.sessionState, "disconnected"));
        for (const call of [
          () => store.get("/k"),
          () => store.set("/k", 2),
          () => store.watch("/", () => {}),
        ]) {
          const started = Date.now();
          await assert.rejects(call(), UnavailableError);
          assert.ok(Date.now() - started < 1500);
        }
      } finally {
        harness.proxyOf(store).resume();
      }
      await eventually(() => assert.equal(store.sessionState, "connected"));
      assert.equal((await store.get("/k"))?.value, 1);
    });
  });

  test("surfaces a session expiry, opens a new session by itself and resyncs its watches", async () => {
    await withHarness(async (harness) => {
      const store = await harness.connect();
      const other = await harness.connect();
      const states = sessionStates(store);
      const oldSession = store.sessionId;
      await store.create("/nodes/a", { n: 1 }, { ephemeral: true });
      await other.set("/deployments/kept", 1);
      const seen = mirror<number>();
      seen.start((await store.watch<number>("/deployments", seen.listener)).initial);

      const expiring = harness.expireSession(store);
      // Changes made while the client is cut off reach it after it has a new session.
      await other.set("/deployments/during", 2);
      await other.delete("/deployments/kept");
      await expiring;

      assert.equal(await other.get("/nodes/a"), undefined);
      await eventually(() => assert.equal(store.sessionState, "connected"));
      assert.deepEqual(states, ["disconnected", "expired", "connected"]);
      assert.notEqual(store.sessionId, oldSession);
      await eventually(() =>
        assert.deepEqual(seen.entries(), [{ key: "/deployments/during", value: 2, version: 0 }]),
      );
      await store.create("/nodes/a", { n: 2 }, { ephemeral: true });
      assert.deepEqual((await other.get("/nodes/a"))?.value, { n: 2 });
      await other.set("/deployments/after", 3);
      await eventually(() => assert.equal(seen.entries().length, 2));
    });
  });

  test("delivers the latest value of every key under a burst of 200 writes", async () => {
    await withHarness(async (harness) => {
      const watcher = await harness.connect();
      const writer = await harness.connect();
      await writer.create("/burst/hot", -1);
      const seen = mirror<number>();
      seen.start((await watcher.watch<number>("/burst", seen.listener)).initial);

      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 200; i++) {
        writes.push(writer.set("/burst/hot", i));
        writes.push(writer.create(`/burst/k${i}`, i));
      }
      await Promise.all(writes);
      await Promise.all(Array.from({ length: 100 }, (_, i) => writer.delete(`/burst/k${i * 2}`)));
      await Promise.all(Array.from({ length: 50 }, (_, i) => writer.set(`/burst/k${i * 2 + 1}`, -i)));

      const expected = await writer.list<number>("/burst");
      assert.equal(expected.length, 101);
      await eventually(() => assert.deepEqual(seen.entries(), expected), 10_000);
      const hot = seen.events.filter((e) => e.key === "/burst/hot");
      assert.deepEqual(hot.at(-1), { type: "put", key: "/burst/hot", value: 199, version: 200 });
      const versions = hot.map((e) => (e.type === "put" ? e.version : -1));
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
        "events of one key arrive in order",
      );
    });
  });

  test("watches a folder before it exists and tells a re-created key from a changed one", async () => {
    await withHarness(async (harness) => {
      const watcher = await harness.connect();
      const writer = await harness.connect();
      const seen = mirror<string>();
      const watch = await watcher.watch<string>("/later/dir", seen.listener);
      assert.deepEqual(watch.initial, []);
      await writer.create("/later/dir/x", "one");
      await eventually(() =>
        assert.deepEqual(seen.events, [{ type: "put", key: "/later/dir/x", value: "one", version: 0 }]),
      );
      await writer.transaction([
        { op: "delete", key: "/later/dir/x" },
        { op: "create", key: "/later/dir/x", value: "two" },
      ]);
      await eventually(() =>
        assert.deepEqual(seen.events.slice(1), [
          { type: "delete", key: "/later/dir/x" },
          { type: "put", key: "/later/dir/x", value: "two", version: 0 },
        ]),
      );
      watch.stop();
      await writer.set("/later/dir/x", "three");
      await writer.set("/later/dir/y", "four");
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(seen.events.length, 3, "a stopped watch delivers nothing");
    });
  });

  test("re-joins its elections after a session expiry; the deposed leader's writes are fenced", async () => {
    await withHarness(async (harness) => {
      const stores: [Store, Store, Store] = [
        await harness.connect(),
        await harness.connect(),
        await harness.connect(),
      ];
      const leases: (Lease | undefined)[] = [undefined, undefined, undefined];
      const deposed = [0, 0, 0];
      const candidacies: Candidacy[] = [];
      for (const [i, store] of stores.entries()) {
        candidacies.push(
          await store.campaign("controller", `c${i}`, {
            elected: (lease) => {
              leases[i] = lease;
            },
            deposed: () => {
              deposed[i] = (deposed[i] ?? 0) + 1;
            },
          }),
        );
      }
      const leading = () => candidacies.map((c) => c.leading);
      await eventually(() => assert.deepEqual(leading(), [true, false, false]));
      assert.equal(await stores[2].leader("controller"), "c0");

      const [first, second] = stores;
      await harness.expireSession(first);
      await eventually(() => assert.deepEqual(leading(), [false, true, false]));
      assert.equal(deposed[0], 1);
      await assert.rejects(
        first.transaction([{ op: "create", key: "/deployments/web", value: "stale" }], leases[0]),
        FencedError,
      );
      assert.equal(await second.get("/deployments/web"), undefined);
      await second.transaction([{ op: "create", key: "/deployments/web", value: "fresh" }], leases[1]);
      // Back in line behind the others, with a new node.
      await eventually(async () => assert.equal(await first.leader("controller"), "c1"));
      await candidacies[1]?.resign();
      await eventually(() => assert.deepEqual(leading(), [false, false, true]));
      await candidacies[2]?.resign();
      await eventually(() => assert.deepEqual(leading(), [true, false, false]));
      assert.equal(await second.leader("controller"), "c0");
    });
  });

  test("close() ends the session: ephemeral keys vanish at once and later calls are refused", async () => {
    await withHarness(async (harness) => {
      const store = await harness.connect();
      const other = await harness.connect();
      await store.create("/nodes/gone", 1, { ephemeral: true });
      const states = sessionStates(store);
      await store.close();
      assert.equal(await other.get("/nodes/gone"), undefined);
      assert.equal(store.sessionState, "closed");
      assert.deepEqual(states, ["closed"]);
      await assert.rejects(store.get("/nodes/gone"), UnavailableError);
    });
  });
});
