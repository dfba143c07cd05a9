// Copying a store's keys out and in, on real embedded stores: what is copied, in what order, what is left out,
// and a save that refuses a store that never holds still.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ConflictError } from "../../core/errors.js";
import { EmbeddedBackend } from "../embedded/embedded-backend.js";
import type { Store } from "../store.js";
import { clearStore, persistentTopKeys, readAllKeys, writeAllKeys } from "./snapshot-copy.js";

let dirs: string[] = [];
let backends: EmbeddedBackend[] = [];

function newStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-snapshot-"));
  dirs.push(dir);
  const backend = EmbeddedBackend.open(dir);
  backends.push(backend);
  return backend.connect();
}

async function seed(store: Store): Promise<void> {
  await store.set("/deployments/web", { name: "web", replicas: 2 });
  await store.set("/deployments/web", { name: "web", replicas: 3 }); // version 1: versions are not copied
  await store.set("/pods/web-a", { id: "web-a" });
  await store.set("/assignments/node-1/web-a", { pod: "web-a" });
  await store.set("/revisions/web/1", { hash: "abc" });
  await store.create("/nodes/node-1", { name: "node-1" }, { ephemeral: true });
  await store.campaign("controller", "c-1", { elected: () => undefined, deposed: () => undefined });
}

beforeEach(() => {
  dirs = [];
  backends = [];
});

afterEach(() => {
  for (const backend of backends) backend.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("snapshot copy", () => {
  test("reads every key parents first, without node registrations and elections", async () => {
    const source = newStore();
    await seed(source);
    const entries = await readAllKeys(source);
    assert.deepEqual(
      entries.map((e) => e.key),
      [
        "/assignments",
        "/assignments/node-1",
        "/assignments/node-1/web-a",
        "/deployments",
        "/deployments/web",
        "/pods",
        "/pods/web-a",
        "/revisions",
        "/revisions/web",
        "/revisions/web/1",
      ],
    );
    assert.deepEqual(entries.find((e) => e.key === "/deployments/web")?.value, { name: "web", replicas: 3 });
  });

  test("writes them into an empty store, which then reads the same", async () => {
    const source = newStore();
    await seed(source);
    const entries = await readAllKeys(source);
    const target = newStore();
    assert.deepEqual(await persistentTopKeys(target), []);
    await writeAllKeys(target, entries);
    assert.deepEqual(await readAllKeys(target), entries);
    assert.deepEqual((await target.get("/revisions/web/1"))?.value, { hash: "abc" });
  });

  test("many keys go in several bounded transactions", async () => {
    const entries = [{ key: "/pods", value: null }];
    for (let i = 0; i < 450; i++)
      entries.push({ key: `/pods/p-${String(i).padStart(3, "0")}`, value: { i } as never });
    const target = newStore();
    let transactions = 0;
    const counting: Store = Object.create(target, {
      transaction: {
        value: (...args: Parameters<Store["transaction"]>) => {
          transactions++;
          return target.transaction(...args);
        },
      },
    });
    await writeAllKeys(counting, entries);
    assert.equal(transactions, 5);
    assert.equal((await target.list("/pods")).length, 450);
  });

  test("session folders do not make a store non-empty; clearing removes everything", async () => {
    const target = newStore();
    await target.create("/nodes/node-1", { name: "node-1" }, { ephemeral: true });
    const candidacy = await target.campaign("controller", "c-1", {
      elected: () => undefined,
      deposed: () => undefined,
    });
    assert.deepEqual(await persistentTopKeys(target), []);
    await candidacy.resign();
    await target.set("/deployments/web", { name: "web" });
    await target.set("/assignments/node-1/web-a", { pod: "web-a" });
    assert.deepEqual(await persistentTopKeys(target), ["/assignments", "/deployments"]);
    await clearStore(target);
    assert.deepEqual(await target.list("/"), []);
  });

  test("a store that changes during every walk is refused, asking to stop the components", async () => {
    const source = newStore();
    await seed(source);
    let writes = 0;
    const busy: Store = Object.create(source, {
      list: {
        value: async (dir: string) => {
          if (dir === "/") await source.set("/pods/web-a", { id: "web-a", n: writes++ });
          return source.list(dir);
        },
      },
    });
    await assert.rejects(readAllKeys(busy), (error: unknown) => {
      assert.ok(error instanceof ConflictError);
      assert.match(error.message, /changed during each of 5 reads; stop the Orchestra components/);
      return true;
    });
  });
});
