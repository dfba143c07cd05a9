// Store contract, data part: create/get/list/set/delete, versions, and all-or-nothing transactions.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConflictError, FencedError, NotFoundError } from "../../../core/errors.js";
import type { Store, TxOp } from "../../store.js";
import type { ContractContext } from "../contract.js";
import { errorNaming, TEST_TIMEOUT_MS } from "../contract-support.js";

const it = (name: string, fn: () => Promise<void>) => test(name, { timeout: TEST_TIMEOUT_MS }, fn);

export function dataTests(ctx: ContractContext): void {
  describe("create, get, list", () => {
    it("create returns version 0, and every client reads the value back; a missing key reads undefined", async () => {
      const [a, b] = [await ctx.connect(), await ctx.connect()];
      const key = `${ctx.ns}/web`;
      const value = { name: "web", replicas: 3, tags: ["x", "y"], nested: { ok: true, none: null }, pi: 3.5 };
      assert.deepEqual(await a.create(key, value), { key, value, version: 0 });
      assert.deepEqual(await a.get(key), { key, value, version: 0 });
      assert.deepEqual(await b.get(key), { key, value, version: 0 });
      assert.equal(await b.get(`${ctx.ns}/missing`), undefined);
      await a.create(`${ctx.ns}/text`, "plain string");
      assert.equal((await b.get(`${ctx.ns}/text`))?.value, "plain string");
    });

    it("create of an existing key fails with ConflictError and keeps the old value", async () => {
      const a = await ctx.connect();
      const key = `${ctx.ns}/taken`;
      await a.create(key, { n: 1 });
      await assert.rejects(a.create(key, { n: 2 }), errorNaming(ConflictError, key));
      assert.deepEqual(await a.get(key), { key, value: { n: 1 }, version: 0 });
    });

    it("create makes missing parents, each holding null at version 0", async () => {
      const a = await ctx.connect();
      await a.create(`${ctx.ns}/p/q/r`, 1);
      assert.deepEqual(await a.get(`${ctx.ns}/p`), { key: `${ctx.ns}/p`, value: null, version: 0 });
      assert.deepEqual(await a.get(`${ctx.ns}/p/q`), { key: `${ctx.ns}/p/q`, value: null, version: 0 });
      assert.equal((await a.get(`${ctx.ns}/p/q/r`))?.value, 1);
    });

    it("list returns the direct children sorted by key, not nested keys nor other directories", async () => {
      const a = await ctx.connect();
      const dir = `${ctx.ns}/dir`;
      const names = ["b", "a", "Z", "a-1", "a_2", "10", "9"];
      for (const name of names) await a.create(`${dir}/${name}`, { name });
      await a.create(`${dir}/c/deep`, "deep");
      await a.create(`${dir}/c/deeper/x`, "deeper");
      await a.create(`${ctx.ns}/dir-other/z`, "other");
      const listed = await a.list<{ name: string } | null>(dir);
      const expected = [...names, "c"].map((name) => `${dir}/${name}`).sort();
      assert.deepEqual(
        listed.map((entry) => entry.key),
        expected,
      );
      assert.deepEqual(
        listed.find((entry) => entry.key === `${dir}/a`),
        { key: `${dir}/a`, value: { name: "a" }, version: 0 },
      );
      assert.deepEqual(
        (await a.list(`${dir}/c`)).map((entry) => entry.key),
        [`${dir}/c/deep`, `${dir}/c/deeper`],
      );
      assert.deepEqual(await a.list(`${ctx.ns}/nothing-here`), []);
    });

    it("keys that are not absolute paths of [A-Za-z0-9._-] segments are rejected with TypeError", async () => {
      const a = await ctx.connect();
      for (const bad of ["relative", `${ctx.ns}//x`, `${ctx.ns}/x/`, `${ctx.ns}/a b`, `${ctx.ns}/..`, ""]) {
        await assert.rejects(a.create(bad, 1), TypeError, `create ${JSON.stringify(bad)}`);
        await assert.rejects(a.get(bad), TypeError, `get ${JSON.stringify(bad)}`);
      }
      assert.deepEqual(await a.list(ctx.ns), []);
    });
  });

  describe("set, delete and versions", () => {
    it("set without a version creates at version 0, then each overwrite adds one", async () => {
      const a = await ctx.connect();
      const key = `${ctx.ns}/x/counter`;
      assert.deepEqual(await a.set(key, { n: 0 }), { key, value: { n: 0 }, version: 0 });
      assert.deepEqual(await a.set(key, { n: 1 }), { key, value: { n: 1 }, version: 1 });
      assert.deepEqual(await a.set(key, { n: 2 }), { key, value: { n: 2 }, version: 2 });
      assert.deepEqual(await a.get(key), { key, value: { n: 2 }, version: 2 });
    });

    it("set with the current version succeeds; a stale version fails with ConflictError and changes nothing", async () => {
      const [a, b] = [await ctx.connect(), await ctx.connect()];
      const key = `${ctx.ns}/cas`;
      await a.create(key, "v0");
      assert.deepEqual(await a.set(key, "v1", 0), { key, value: "v1", version: 1 });
      await assert.rejects(b.set(key, "stale", 0), errorNaming(ConflictError, key, FencedError));
      assert.deepEqual(await b.get(key), { key, value: "v1", version: 1 });
      assert.deepEqual(await b.set(key, "v2", 1), { key, value: "v2", version: 2 });
    });

    it("set with a version on a missing key fails with ConflictError and creates nothing", async () => {
      const a = await ctx.connect();
      const key = `${ctx.ns}/never`;
      await assert.rejects(a.set(key, "x", 0), errorNaming(ConflictError, key));
      assert.equal(await a.get(key), undefined);
    });

    it("delete removes a key; delete of a missing key fails with NotFoundError", async () => {
      const [a, b] = [await ctx.connect(), await ctx.connect()];
      const key = `${ctx.ns}/doomed`;
      await a.create(key, 1);
      await a.delete(key);
      assert.equal(await b.get(key), undefined);
      assert.deepEqual(await b.list(ctx.ns), []);
      await assert.rejects(b.delete(key), errorNaming(NotFoundError, key));
    });

    it("delete with a stale version fails with ConflictError and keeps the key; the current version deletes", async () => {
      const a = await ctx.connect();
      const key = `${ctx.ns}/guarded`;
      await a.create(key, "v0");
      await a.set(key, "v1");
      await assert.rejects(a.delete(key, 0), errorNaming(ConflictError, key, FencedError));
      assert.deepEqual(await a.get(key), { key, value: "v1", version: 1 });
      await a.delete(key, 1);
      assert.equal(await a.get(key), undefined);
    });

    it("delete of a key that has children fails with ConflictError and removes nothing", async () => {
      const a = await ctx.connect();
      const parent = `${ctx.ns}/parent`;
      await a.create(`${parent}/child`, 1);
      await assert.rejects(a.delete(parent), errorNaming(ConflictError, parent));
      assert.equal((await a.get(`${parent}/child`))?.value, 1);
      await a.delete(`${parent}/child`);
      await a.delete(parent);
      assert.equal(await a.get(parent), undefined);
    });
  });

  describe("transactions", () => {
    it("applies mixed create, set, delete and check ops together", async () => {
      const [a, b] = [await ctx.connect(), await ctx.connect()];
      const k = (name: string) => `${ctx.ns}/${name}`;
      for (const name of ["x", "y", "z", "w"]) await a.create(k(name), `${name}0`);
      await a.transaction([
        { op: "create", key: k("new"), value: { fresh: true } },
        { op: "create", key: k("deep/er/new"), value: "deep" },
        { op: "set", key: k("x"), value: "x1", version: 0 },
        { op: "set", key: k("y"), value: "y1" },
        { op: "delete", key: k("z"), version: 0 },
        { op: "check", key: k("w"), version: 0 },
      ]);
      assert.deepEqual(await b.get(k("new")), { key: k("new"), value: { fresh: true }, version: 0 });
      assert.equal((await b.get(k("deep/er/new")))?.value, "deep");
      assert.deepEqual(await b.get(k("x")), { key: k("x"), value: "x1", version: 1 });
      assert.deepEqual(await b.get(k("y")), { key: k("y"), value: "y1", version: 1 });
      assert.equal(await b.get(k("z")), undefined);
      assert.deepEqual(await b.get(k("w")), { key: k("w"), value: "w0", version: 0 });
    });

    /** Runs `ops` expecting `failure`, then checks that none of the ops left a trace. */
    async function expectNothingApplied(ops: TxOp[], failure: (error: unknown) => boolean): Promise<void> {
      const a = await ctx.connect();
      const before = await snapshot(a, ops);
      await assert.rejects(a.transaction(ops), failure);
      assert.deepEqual(await snapshot(a, ops), before, "a failed transaction changed the store");
    }

    async function snapshot(store: Store, ops: TxOp[]) {
      return Promise.all(ops.map((op) => store.get(op.key)));
    }

    async function seed(...names: string[]): Promise<(name: string) => string> {
      const a = await ctx.connect();
      const k = (name: string) => `${ctx.ns}/${name}`;
      for (const name of names) await a.create(k(name), `${name}0`);
      return k;
    }

    it("a stale set in the middle fails with ConflictError and leaves no op applied", async () => {
      const k = await seed("b", "d");
      await expectNothingApplied(
        [
          { op: "create", key: k("a"), value: 1 },
          { op: "delete", key: k("d") },
          { op: "set", key: k("b"), value: "b-new", version: 7 },
          { op: "create", key: k("c"), value: 3 },
        ],
        errorNaming(ConflictError, k("b"), FencedError),
      );
    });

    it("a failing check in the middle fails with ConflictError and leaves no op applied", async () => {
      const k = await seed("b", "w", "d");
      await expectNothingApplied(
        [
          { op: "set", key: k("b"), value: "b-new" },
          { op: "check", key: k("w"), version: 3 },
          { op: "delete", key: k("d") },
        ],
        errorNaming(ConflictError, k("w"), FencedError),
      );
    });

    it("a create of an existing key fails with ConflictError and leaves no op applied", async () => {
      const k = await seed("exists", "b");
      await expectNothingApplied(
        [
          { op: "create", key: k("new"), value: 1 },
          { op: "set", key: k("b"), value: "b-new", version: 0 },
          { op: "create", key: k("exists"), value: 2 },
        ],
        errorNaming(ConflictError, k("exists"), FencedError),
      );
    });

    it("a set, delete or check of a missing key fails with NotFoundError and leaves no op applied", async () => {
      const k = await seed("b");
      const missingOps: TxOp[] = [
        { op: "set", key: k("gone"), value: 1 },
        { op: "delete", key: k("gone") },
        { op: "check", key: k("gone"), version: 0 },
      ];
      for (const missing of missingOps) {
        await expectNothingApplied(
          [{ op: "create", key: k("new"), value: 1 }, { op: "set", key: k("b"), value: "b-new" }, missing],
          errorNaming(NotFoundError, k("gone")),
        );
      }
    });
  });
}
