// A store call past its deadline becomes an UnavailableError; one on time passes through untouched.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../core/clock.js";
import { ConflictError, UnavailableError } from "../core/errors.js";
import type { Store } from "../store/store.js";
import { withDeadline } from "./deadline-store.js";

function fakeStore(get: () => Promise<unknown>): Store {
  return { sessionState: "connected", get } as unknown as Store; // only get is called here
}

test("a call that never answers fails after the timeout", async () => {
  const clock = new ManualClock();
  const store = withDeadline(
    fakeStore(() => new Promise(() => {})),
    1000,
    clock,
  );
  const pending = store.get("/deployments/web");
  clock.advance(999);
  let settled = false;
  pending.catch(() => {}).finally(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false);
  clock.advance(1);
  await assert.rejects(
    pending,
    (e: unknown) => e instanceof UnavailableError && /within 1000 ms/.test(e.message),
  );
});

test("answers and errors on time pass through", async () => {
  const clock = new ManualClock();
  const entry = { key: "/deployments/web", value: 1, version: 0 };
  assert.deepEqual(
    await withDeadline(
      fakeStore(async () => entry),
      1000,
      clock,
    ).get("/x"),
    entry,
  );
  await assert.rejects(
    withDeadline(
      fakeStore(async () => {
        throw new ConflictError("busy");
      }),
      1000,
      clock,
    ).get("/x"),
    ConflictError,
  );
  await assert.rejects(
    withDeadline(
      fakeStore(() => {
        throw new UnavailableError("sync throw");
      }),
      1000,
      clock,
    ).get("/x"),
    /sync throw/,
  );
});
