// Store contract, watch part: initial listing, create/change/delete events from other clients, nothing missed
// under bursts, nothing from other directories, and no delivery after stop().
import assert from "node:assert/strict";
import { test } from "node:test";
import type { WatchEvent } from "../../store.js";
import type { ContractContext } from "../contract.js";
import { EVENT_WAIT_MS, eventually, TEST_TIMEOUT_MS } from "../contract-support.js";

const it = (name: string, fn: () => Promise<void>) => test(name, { timeout: TEST_TIMEOUT_MS }, fn);

/** Collects the events a watch delivers. */
function recorder<T = unknown>() {
  const events: WatchEvent<T>[] = [];
  return {
    events,
    listener: (event: WatchEvent<T>) => {
      events.push(event);
    },
    forKey: (key: string) => events.filter((event) => event.key === key),
    lastFor: (key: string) => events.filter((event) => event.key === key).at(-1),
  };
}

export function watchTests(ctx: ContractContext): void {
  it("initial is the listing at the start; creates, changes and deletes by another client follow", async () => {
    const [writer, watcher] = [await ctx.connect(), await ctx.connect()];
    const dir = `${ctx.ns}/apps`;
    await writer.create(`${dir}/a`, { n: 1 });
    await writer.create(`${dir}/b`, { n: 1 });
    await writer.set(`${dir}/b`, { n: 2 });
    const listing = await watcher.list(dir);
    const seen = recorder();
    const watch = await watcher.watch(dir, seen.listener);
    assert.deepEqual(watch.initial, listing);
    assert.deepEqual(
      watch.initial.map((entry) => [entry.key, entry.version]),
      [
        [`${dir}/a`, 0],
        [`${dir}/b`, 1],
      ],
    );

    await writer.create(`${dir}/c`, { n: 1 });
    await writer.set(`${dir}/a`, { n: 2 }, 0);
    await writer.delete(`${dir}/b`);
    await eventually(() => {
      assert.deepEqual(seen.forKey(`${dir}/c`), [
        { type: "put", key: `${dir}/c`, value: { n: 1 }, version: 0 },
      ]);
      assert.deepEqual(seen.forKey(`${dir}/a`), [
        { type: "put", key: `${dir}/a`, value: { n: 2 }, version: 1 },
      ]);
      assert.deepEqual(seen.forKey(`${dir}/b`), [{ type: "delete", key: `${dir}/b` }]);
    }, EVENT_WAIT_MS);
    watch.stop();
  });

  it("100 quick successive sets of one key: versions rise and the last event has the final value", async () => {
    const [writer, watcher] = [await ctx.connect(), await ctx.connect()];
    const key = `${ctx.ns}/hot/key`;
    await writer.create(key, { i: -1 });
    const seen = recorder<{ i: number }>();
    const watch = await watcher.watch(`${ctx.ns}/hot`, seen.listener);
    for (let i = 0; i < 100; i++) await writer.set(key, { i });
    await eventually(() => {
      assert.deepEqual(seen.lastFor(key), { type: "put", key, value: { i: 99 }, version: 100 });
    }, EVENT_WAIT_MS);
    const versions = seen.forKey(key).map((event) => (event.type === "put" ? event.version : -1));
    for (let i = 1; i < versions.length; i++) {
      assert.ok((versions[i] as number) > (versions[i - 1] as number), `versions out of order: ${versions}`);
    }
    watch.stop();
  });

  it("many keys created at once by another client: an event for each", async () => {
    const [writer, watcher] = [await ctx.connect(), await ctx.connect()];
    const dir = `${ctx.ns}/many`;
    await writer.create(dir, null);
    const seen = recorder<number>();
    const watch = await watcher.watch(dir, seen.listener);
    const count = 200;
    const keys = Array.from({ length: count }, (_, i) => `${dir}/k${String(i).padStart(3, "0")}`);
    await Promise.all(keys.map((key, i) => writer.create(key, i)));
    await eventually(() => {
      for (const [i, key] of keys.entries()) {
        assert.deepEqual(seen.lastFor(key), { type: "put", key, value: i, version: 0 });
      }
    }, EVENT_WAIT_MS);
    assert.equal(seen.events.filter((event) => event.type === "delete").length, 0);
    watch.stop();
  });

  it("a watch on a directory that does not exist yet sees the children created later", async () => {
    const [writer, watcher] = [await ctx.connect(), await ctx.connect()];
    const dir = `${ctx.ns}/later/pods`;
    const seen = recorder();
    const watch = await watcher.watch(dir, seen.listener);
    assert.deepEqual(watch.initial, []);
    await writer.create(`${dir}/p1`, "one");
    await writer.create(`${dir}/p2`, "two");
    await eventually(() => {
      assert.deepEqual(seen.lastFor(`${dir}/p1`), {
        type: "put",
        key: `${dir}/p1`,
        value: "one",
        version: 0,
      });
      assert.deepEqual(seen.lastFor(`${dir}/p2`), {
        type: "put",
        key: `${dir}/p2`,
        value: "two",
        version: 0,
      });
    }, EVENT_WAIT_MS);
    watch.stop();
  });

  it("a watch sees only the direct children of its directory", async () => {
    const [writer, watcher] = [await ctx.connect(), await ctx.connect()];
    const dir = `${ctx.ns}/a`;
    await writer.create(`${dir}/sub`, "sub");
    await writer.create(`${ctx.ns}/b`, "b");
    const seen = recorder();
    const watch = await watcher.watch(dir, seen.listener);
    // None of these is a direct child of the watched directory: none may show up.
    await writer.create(`${ctx.ns}/b/x`, 1);
    await writer.set(`${ctx.ns}/b`, "b2");
    await writer.create(`${ctx.ns}/ab`, 1);
    await writer.create(`${ctx.ns}/a-sibling/x`, 1);
    await writer.create(`${dir}/sub/deep`, 1);
    await writer.set(`${dir}/sub/deep`, 2);
    await writer.set(dir, "the directory itself");
    // The sentinel is a direct child: once it arrives, anything wrongly delivered before it has arrived too.
    await writer.create(`${dir}/sentinel`, 1);
    await eventually(() => assert.ok(seen.lastFor(`${dir}/sentinel`)), EVENT_WAIT_MS);
    assert.deepEqual(seen.events, [{ type: "put", key: `${dir}/sentinel`, value: 1, version: 0 }]);
    watch.stop();
  });

  it("stop() ends delivery", async () => {
    const [writer, watcher, witness] = [await ctx.connect(), await ctx.connect(), await ctx.connect()];
    const dir = `${ctx.ns}/stopping`;
    const seen = recorder();
    const watch = await watcher.watch(dir, seen.listener);
    await writer.create(`${dir}/before`, 1);
    await eventually(() => assert.ok(seen.lastFor(`${dir}/before`)), EVENT_WAIT_MS);
    watch.stop();

    const witnessed = recorder();
    const witnessWatch = await witness.watch(dir, witnessed.listener);
    await writer.set(`${dir}/before`, 2);
    await writer.create(`${dir}/after`, 1);
    await writer.create(`${dir}/sentinel`, 1);
    await eventually(() => assert.ok(witnessed.lastFor(`${dir}/sentinel`)), EVENT_WAIT_MS);
    assert.deepEqual(seen.events, [{ type: "put", key: `${dir}/before`, value: 1, version: 0 }]);
    witnessWatch.stop();
  });
}
