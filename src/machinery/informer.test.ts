import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ManualClock } from "../core/clock.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import type { Store, WatchEvent } from "../store/store.js";
import { eventually } from "../store/testing/contract-support.js";
import { Informer } from "./informer.js";

interface Item {
  color: string;
  tags?: string[];
}

/** A store whose watch events can be held back, to make the informer miss changes on purpose. */
function withMutableWatches(store: Store): { store: Store; mute: (muted: boolean) => void } {
  let muted = false;
  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      if (property === "watch") {
        return <T>(dir: string, listener: (event: WatchEvent<T>) => void) =>
          target.watch<T>(dir, (event) => {
            if (!muted) listener(event);
          });
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: wrapped, mute: (value) => (muted = value) };
}

describe("Informer", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  const informers: Informer<Item>[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-informer-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
  });

  afterEach(() => {
    for (const informer of informers.splice(0)) informer.stop();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function track(informer: Informer<Item>): Informer<Item> {
    informers.push(informer);
    return informer;
  }

  function recorder(informer: Informer<Item>): string[] {
    const events: string[] = [];
    informer.addHandlers({
      onAdd: (name, value) => events.push(`add ${name} ${value.color}`),
      onUpdate: (name, old, value) => events.push(`update ${name} ${old.color}->${value.color}`),
      onDelete: (name, old) => events.push(`delete ${name} ${old.color}`),
      onResync: () => events.push("resync"),
    });
    return events;
  }

  test("lists the directory, then follows creates, updates and deletes", async () => {
    await store.set("/things/a", { color: "red" });
    await store.set("/other/x", { color: "blue" });
    const informer = track(new Informer<Item>(store, "/things", { resyncMs: 0 }));
    const events = recorder(informer);
    assert.equal(informer.hasSynced, false);
    await informer.start();
    assert.equal(informer.hasSynced, true);
    assert.deepEqual(events, ["add a red"]);
    assert.deepEqual(informer.get("a"), { color: "red" });
    assert.equal(informer.entry("a")?.version, 0);

    await store.set("/things/b", { color: "green" });
    await store.set("/things/a", { color: "pink" });
    await store.delete("/things/b");
    await eventually(() =>
      assert.deepEqual(events.slice(1), ["add b green", "update a red->pink", "delete b green"]),
    );
    assert.deepEqual(informer.names(), ["a"]);
    assert.equal(informer.entry("a")?.version, 1);
    assert.equal(informer.size, 1);
    assert.equal(informer.get("x"), undefined, "only its own directory");
  });

  test("cached values are frozen: a caller cannot change the cache", async () => {
    await store.set("/things/a", { color: "red", tags: ["x"] });
    const informer = track(new Informer<Item>(store, "/things", { resyncMs: 0 }));
    await informer.start();
    const value = informer.get("a") as Item;
    assert.throws(() => {
      value.color = "black";
    }, TypeError);
    assert.throws(() => value.tags?.push("y"), TypeError);
    const entry = informer.entries()[0];
    assert.throws(() => {
      (entry as { version: number }).version = 99;
    }, TypeError);
    assert.deepEqual(informer.get("a"), { color: "red", tags: ["x"] });
  });

  test("an index finds entries by a derived value and follows changes", async () => {
    await store.set("/things/a", { color: "red" });
    await store.set("/things/b", { color: "red" });
    await store.set("/things/c", { color: "blue" });
    const informer = track(
      new Informer<Item>(store, "/things", { resyncMs: 0, index: (item) => item.color }),
    );
    await informer.start();
    assert.deepEqual(
      informer.byIndex("red").map((e) => e.key),
      ["/things/a", "/things/b"],
    );
    await store.set("/things/a", { color: "blue" });
    await store.delete("/things/c");
    await eventually(() => {
      assert.deepEqual(
        informer.byIndex("red").map((e) => e.key),
        ["/things/b"],
      );
      assert.deepEqual(
        informer.byIndex("blue").map((e) => e.key),
        ["/things/a"],
      );
    });
    assert.deepEqual(informer.byIndex("green"), []);
  });

  test("resync re-lists and emits only what the cache missed", async () => {
    const { store: mutable, mute } = withMutableWatches(store);
    await store.set("/things/a", { color: "red" });
    await store.set("/things/b", { color: "green" });
    const informer = track(new Informer<Item>(mutable, "/things", { resyncMs: 0 }));
    const events = recorder(informer);
    await informer.start();
    mute(true);
    await store.set("/things/a", { color: "pink" });
    await store.delete("/things/b");
    await store.set("/things/c", { color: "gold" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(events, ["add a red", "add b green"], "the muted watch missed everything");
    mute(false);
    await informer.resync();
    assert.deepEqual(events.slice(2).sort(), [
      "add c gold",
      "delete b green",
      "resync",
      "update a red->pink",
    ]);
    await informer.resync();
    assert.deepEqual(events.slice(6), ["resync"], "nothing new: no change events");
  });

  test("resyncs periodically on the injected clock", async () => {
    const clock = new ManualClock();
    const { store: mutable, mute } = withMutableWatches(store);
    const informer = track(new Informer<Item>(mutable, "/things", { clock, resyncMs: 30_000 }));
    const events = recorder(informer);
    await informer.start();
    mute(true);
    await store.set("/things/late", { color: "grey" });
    clock.advance(29_999);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(events, []);
    clock.advance(1);
    await eventually(() => assert.deepEqual(events, ["add late grey", "resync"]));
    await store.set("/things/later", { color: "white" });
    clock.advance(30_000);
    await eventually(() => assert.deepEqual(events.slice(2), ["add later white", "resync"]));
  });

  test("watches again after a session expiry and catches up on what it missed", async () => {
    const { store: mutable, mute } = withMutableWatches(store);
    await store.set("/things/a", { color: "red" });
    const informer = track(new Informer<Item>(mutable, "/things", { resyncMs: 0 }));
    const events = recorder(informer);
    await informer.start();
    mute(true);
    await store.set("/things/a", { color: "blue" });
    await store.set("/things/b", { color: "green" });
    mute(false);
    backend.expireSession(store);
    await eventually(() =>
      assert.deepEqual(events.slice(1).sort(), ["add b green", "resync", "update a red->blue"]),
    );
    // The new watch delivers later changes (once: the old watch was stopped).
    await store.set("/things/c", { color: "white" });
    await eventually(() => assert.ok(events.includes("add c white")));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(events.filter((e) => e === "add c white").length, 1);
  });

  test("a failing handler does not stop the others or the cache", async () => {
    const informer = track(new Informer<Item>(store, "/things", { resyncMs: 0 }));
    informer.addHandlers({
      onAdd: () => {
        throw new Error("boom");
      },
    });
    const events = recorder(informer);
    await informer.start();
    await store.set("/things/a", { color: "red" });
    await eventually(() => assert.deepEqual(events, ["add a red"]));
    assert.deepEqual(informer.get("a"), { color: "red" });
  });

  test("stop ends the watch; removed handlers hear nothing", async () => {
    const informer = track(new Informer<Item>(store, "/things", { resyncMs: 0 }));
    const events: string[] = [];
    const remove = informer.addHandlers({ onAdd: (name) => events.push(name) });
    await informer.start();
    remove();
    await store.set("/things/a", { color: "red" });
    await eventually(() => assert.equal(informer.size, 1));
    assert.deepEqual(events, []);
    informer.stop();
    await store.set("/things/b", { color: "red" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(informer.size, 1);
  });

  test("handlers added once the cache is filled hear of every entry first, then of changes", async () => {
    await store.set("/things/a", { color: "red" });
    const informer = track(new Informer<Item>(store, "/things", { resyncMs: 0 }));
    const early = recorder(informer);
    await informer.start();
    const late = recorder(informer);
    assert.deepEqual(late, ["add a red"]);
    await store.set("/things/b", { color: "blue" });
    await eventually(() => assert.deepEqual(late, ["add a red", "add b blue"]));
    assert.deepEqual(early, ["add a red", "add b blue"]);
  });
});
