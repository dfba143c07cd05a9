// Store contract, paging part: listPage walks a directory in key order a page at a time, and count counts it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Entry, Store } from "../../store.js";
import type { ContractContext } from "../contract.js";
import { TEST_TIMEOUT_MS } from "../contract-support.js";

const it = (name: string, fn: () => Promise<void>) => test(name, { timeout: TEST_TIMEOUT_MS }, fn);

/** Every page of `dir` by `limit`, following `next`; fails if a page is larger than asked or never ends. */
async function allPages(store: Store, dir: string, limit: number): Promise<Entry[][]> {
  const pages: Entry[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listPage(dir, after === undefined ? { limit } : { after, limit });
    assert.ok(page.entries.length <= limit, `a page of ${page.entries.length} entries, asked for ${limit}`);
    pages.push(page.entries);
    if (page.next === undefined) return pages;
    assert.ok(pages.length < 100, "listPage never ends");
    after = page.next;
  }
}

export function pageTests(ctx: ContractContext): void {
  it("listPage walks the direct children in key order, a page at a time, as list returns them", async () => {
    const a = await ctx.connect();
    const dir = `${ctx.ns}/dir`;
    const names = ["b", "a", "Z", "a-1", "a_2", "10", "9", "c"];
    for (const name of names) await a.create(`${dir}/${name}`, { name });
    await a.create(`${dir}/c/deep`, "not a child of dir");
    await a.create(`${ctx.ns}/dir-other/z`, "another directory");
    const pages = await allPages(a, dir, 3);
    assert.deepEqual(
      pages.map((page) => page.length),
      [3, 3, 2],
    );
    assert.deepEqual(pages.flat(), await a.list(dir));
    assert.deepEqual(
      pages.flat().find((entry) => entry.key === `${dir}/a`),
      { key: `${dir}/a`, value: { name: "a" }, version: 0 },
    );
    // A page that ends exactly at the last child says there is nothing more.
    assert.deepEqual((await a.listPage(dir, { limit: 8 })).next, undefined);
    assert.equal((await a.listPage(dir, { limit: 7 })).next, "b");
  });

  it("listPage starts after any name, present or not; past the end and in a missing directory it is empty", async () => {
    const a = await ctx.connect();
    const dir = `${ctx.ns}/dir`;
    for (const name of ["a", "c", "e"]) await a.create(`${dir}/${name}`, name);
    const keysOf = (entries: Entry[]) => entries.map((entry) => entry.key);
    assert.deepEqual(keysOf((await a.listPage(dir, { after: "a", limit: 10 })).entries), [
      `${dir}/c`,
      `${dir}/e`,
    ]);
    assert.deepEqual(keysOf((await a.listPage(dir, { after: "b", limit: 1 })).entries), [`${dir}/c`]);
    assert.deepEqual(await a.listPage(dir, { after: "e", limit: 10 }), { entries: [] });
    assert.deepEqual(await a.listPage(dir, { after: "zzz", limit: 10 }), { entries: [] });
    assert.deepEqual(await a.listPage(`${ctx.ns}/missing`, { limit: 10 }), { entries: [] });
  });

  it("a walk in pages sees the children created after its cursor and none deleted before they were read", async () => {
    const [a, b] = [await ctx.connect(), await ctx.connect()];
    const dir = `${ctx.ns}/dir`;
    for (const name of ["a", "b", "c", "d"]) await a.create(`${dir}/${name}`, name);
    const first = await a.listPage(dir, { limit: 2 });
    assert.equal(first.next, "b");
    await b.delete(`${dir}/c`);
    await b.create(`${dir}/e`, "e");
    await b.create(`${dir}/a0`, "behind the cursor");
    const rest = await a.listPage(dir, { after: first.next, limit: 10 });
    assert.deepEqual(
      rest.entries.map((entry) => entry.value),
      ["d", "e"],
    );
    assert.equal(rest.next, undefined);
  });

  it("count counts the direct children only; a missing directory has none", async () => {
    const [a, b] = [await ctx.connect(), await ctx.connect()];
    const dir = `${ctx.ns}/dir`;
    for (const name of ["x", "y", "z"]) await a.create(`${dir}/${name}`, name);
    await a.create(`${dir}/x/nested`, "nested");
    assert.equal(await b.count(dir), 3);
    await a.delete(`${dir}/y`);
    assert.equal(await b.count(dir), 2);
    assert.equal(await b.count(`${ctx.ns}/missing`), 0);
  });

  it("a page of zero or a start that is not a name is refused with TypeError", async () => {
    const a = await ctx.connect();
    for (const page of [{ limit: 0 }, { limit: 1.5 }, { after: "a/b", limit: 1 }, { after: "", limit: 1 }]) {
      await assert.rejects(a.listPage(ctx.ns, page), TypeError, JSON.stringify(page));
    }
    await assert.rejects(a.count("relative"), TypeError);
  });
}
