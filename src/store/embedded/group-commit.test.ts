// Group commit and watch delivery of the embedded store: writes of one event-loop turn share a commit, fail
// alone, resolve only once durable, keep their order, and every watcher gets the same frozen event values.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ConflictError, FencedError, NotFoundError, UnavailableError } from "../../core/errors.js";
import type { Lease, WatchEvent } from "../store.js";
import { eventually } from "../testing/contract-support.js";
import { EmbeddedBackend } from "./embedded-backend.js";
import type { GroupCommitLimits } from "./group-commit.js";

describe("embedded store group commit", () => {
  let dir: string;
  let backends: EmbeddedBackend[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-group-commit-"));
  });
  afterEach(() => {
    for (const backend of backends) backend.close();
    backends = [];
    rmSync(dir, { recursive: true, force: true });
  });

  function open(limits?: GroupCommitLimits): EmbeddedBackend {
    const backend = EmbeddedBackend.open(dir, limits);
    backends.push(backend);
    return backend;
  }

  /** Closes the backend and opens a fresh one on the same directory: what it sees is on disk. */
  function reopen(backend: EmbeddedBackend): EmbeddedBackend {
    backend.close();
    return open();
  }

  test("thousands of concurrent writes from several clients all commit and resolve", async () => {
    const backend = open();
    const clients = [backend.connect(), backend.connect(), backend.connect(), backend.connect()];
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 3000; i++) {
      const client = clients[i % clients.length];
      assert.ok(client);
      writes.push(client.set(`/many/k${String(i % 700).padStart(4, "0")}`, { i }));
    }
    const results = await Promise.allSettled(writes);
    assert.deepEqual(
      results.filter((result) => result.status === "rejected"),
      [],
    );
    const stored = await reopen(backend).connect().list<{ i: number }>("/many");
    assert.equal(stored.length, 700);
    // Every key holds its last write, and its version counts every write to it.
    for (const entry of stored) {
      const k = Number(entry.key.slice("/many/k".length));
      const writesToKey = Math.ceil((3000 - k) / 700);
      assert.equal(entry.value.i, k + 700 * (writesToKey - 1), entry.key);
      assert.equal(entry.version, writesToKey - 1, entry.key);
    }
  });

  test("a failing write rejects alone; the other writes of its batch land", async () => {
    const backend = open();
    const [a, b, c] = [backend.connect(), backend.connect(), backend.connect()];
    await a.create("/batch/taken", "first");
    const fence: Lease = {
      election: "gone",
      candidate: "me",
      fence: { op: "check", key: "/nope", version: 0 },
    };

    // All issued in one turn, so they share one commit.
    const outcomes = await Promise.allSettled([
      a.create("/batch/one", 1),
      b.create("/batch/taken", "second"),
      c.set("/batch/two", 2),
      a.set("/batch/taken", "stale", 7),
      b.transaction([
        { op: "create", key: "/batch/half", value: "undone" },
        { op: "delete", key: "/batch/missing" },
      ]),
      c.create("/batch/bad key", 0),
      a.set("/batch/not-json", () => 0),
      b.transaction([{ op: "create", key: "/batch/fenced", value: 0 }], fence),
      c.delete("/batch/missing"),
      a.create("/batch/three", 3),
    ]);

    const errors = outcomes.map((outcome) => (outcome.status === "rejected" ? outcome.reason : undefined));
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      [
        "fulfilled",
        "rejected",
        "fulfilled",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "fulfilled",
      ],
    );
    assert.ok(errors[1] instanceof ConflictError && /\/batch\/taken already exists/.test(errors[1].message));
    assert.ok(errors[3] instanceof ConflictError && /at version 0, not 7/.test(errors[3].message));
    assert.ok(errors[4] instanceof NotFoundError && /\/batch\/missing/.test(errors[4].message));
    assert.ok(errors[5] instanceof TypeError && /invalid store key/.test(errors[5].message));
    assert.ok(errors[6] instanceof TypeError && /not JSON/.test(errors[6].message));
    assert.ok(errors[7] instanceof FencedError, String(errors[7]));
    assert.ok(errors[8] instanceof NotFoundError, String(errors[8]));

    const stored = await reopen(backend).connect().list("/batch");
    assert.deepEqual(
      stored.map((entry) => [entry.key, entry.value, entry.version]),
      [
        ["/batch/one", 1, 0],
        ["/batch/taken", "first", 0],
        ["/batch/three", 3, 0],
        ["/batch/two", 2, 0],
      ],
    );
  });

  test("watchers see a batch's changes in issue order, once, with one frozen value shared by all", async () => {
    const backend = open();
    const [a, b] = [backend.connect(), backend.connect()];
    type Value = { n: number; nested: { n: number } };
    const first: WatchEvent<Value>[] = [];
    const second: WatchEvent<Value>[] = [];
    const w1 = await a.watch<Value>("/ordered", (event) => first.push(event));
    const w2 = await b.watch<Value>("/ordered", (event) => second.push(event));
    const writes: Promise<unknown>[] = [];
    for (let n = 0; n < 50; n++) writes.push((n % 2 ? a : b).set("/ordered/key", { n, nested: { n } }));
    writes.push(a.delete("/ordered/key"));
    await Promise.all(writes);

    await eventually(() => assert.equal(second.length, 51));
    assert.equal(first.length, 51);
    for (let n = 0; n < 50; n++) {
      const event = first[n];
      assert.ok(event?.type === "put");
      assert.equal(event.value.n, n);
      assert.equal(event.version, n);
      assert.equal(second[n], event, "both watchers get the same event object");
      assert.ok(Object.isFrozen(event.value) && Object.isFrozen(event.value.nested));
      assert.throws(() => {
        event.value.nested.n = -1;
      }, TypeError);
    }
    assert.deepEqual(first[50], { type: "delete", key: "/ordered/key" });

    // A watch started after these commits has them in its listing and gets no event for them.
    await a.set("/ordered/late", { n: 1 });
    const late: WatchEvent[] = [];
    const w3 = await b.watch("/ordered", (event) => late.push(event));
    assert.deepEqual(
      w3.initial.map((entry) => entry.key),
      ["/ordered/late"],
    );
    await b.set("/ordered/sentinel", 0);
    await eventually(() =>
      assert.deepEqual(
        late.map((event) => event.key),
        ["/ordered/sentinel"],
      ),
    );
    for (const watch of [w1, w2, w3]) watch.stop();
  });

  test("a write resolves only after its commit, and a fresh backend then sees it", async () => {
    const backend = open();
    const [writer, reader] = [backend.connect(), backend.connect()];
    let resolved = false;
    const write = writer.set("/durable/k", { v: 1 }).then((entry) => {
      resolved = true;
      return entry;
    });
    // Not committed within this turn: another session cannot see it, and its promise has not resolved.
    assert.equal(await reader.get("/durable/k"), undefined);
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.equal(resolved, false);
    assert.equal(backend.read("/durable/k"), undefined);

    assert.deepEqual(await write, { key: "/durable/k", value: { v: 1 }, version: 0 });
    const fresh = reopen(backend).connect();
    assert.deepEqual(await fresh.get("/durable/k"), { key: "/durable/k", value: { v: 1 }, version: 0 });
  });

  test("a client reads its own pending writes", async () => {
    const store = open().connect();
    const write = store.set("/mine/k", "v");
    assert.equal((await store.get("/mine/k"))?.value, "v");
    assert.deepEqual(
      (await store.list("/mine")).map((entry) => entry.key),
      ["/mine/k"],
    );
    await write;
  });

  test("a full batch commits at once instead of waiting for the end of the turn", async () => {
    const backend = open({ maxWrites: 10, maxBytes: 1 << 20 });
    const store = backend.connect();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) writes.push(store.set(`/full/k${i}`, i));
    assert.equal(backend.read("/full/k0")?.value, 0, "the tenth write committed the batch");
    writes.push(store.set("/full/k10", 10));
    assert.equal(backend.read("/full/k10"), undefined, "the eleventh waits for the next commit");
    await Promise.all(writes);
    assert.equal(backend.read("/full/k10")?.value, 10);
  });

  test("close() commits pending writes before it returns; later writes are refused", async () => {
    const backend = open();
    const store = backend.connect();
    const pending = [store.set("/closing/a", 1), store.create("/closing/b", 2)];
    backend.close();
    await Promise.all(pending);
    await assert.rejects(store.set("/closing/c", 3), UnavailableError);
    const stored = await open().connect().list("/closing");
    assert.deepEqual(
      stored.map((entry) => entry.key),
      ["/closing/a", "/closing/b"],
    );
  });

  test("an ephemeral key issued just before its session ends is committed, then removed with it", async () => {
    const backend = open();
    const [owner, observer] = [backend.connect(), backend.connect()];
    const events: string[] = [];
    const watch = await observer.watch("/eph", (event) => events.push(`${event.type} ${event.key}`));
    const created = owner.create("/eph/mine", 1, { ephemeral: true });
    backend.expireSession(owner);
    assert.equal((await created).key, "/eph/mine");
    assert.equal(await observer.get("/eph/mine"), undefined);
    await eventually(() => assert.deepEqual(events, ["put /eph/mine", "delete /eph/mine"]));

    const again = owner.create("/eph/closing", 2, { ephemeral: true });
    await owner.close();
    await again;
    assert.equal(await observer.get("/eph/closing"), undefined);
    watch.stop();
  });
});
