import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ClusterEvent } from "../core/types.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import { EVENT_SERIES_WINDOW_MS, EventRecorder, eventsFor } from "./event-recorder.js";

test("events are stored in time order, bounded, and filtered by deployment or object", async () => {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-events-"));
  const backend = EmbeddedBackend.open(dir);
  const store = backend.connect();
  try {
    let now = 1_700_000_000_000;
    const recorder = new EventRecorder(store, "worker/n1", {
      limit: 20,
      clock: { now: () => now++, setTimeout: () => () => {} },
    });
    for (let i = 0; i < 50; i++) {
      recorder.record({
        type: i % 2 ? "Warning" : "Normal",
        reason: "Started",
        object: `pod/web-${i}`,
        deployment: i < 45 ? "web" : "api",
        message: `event ${i}`,
      });
      await recorder.flush();
    }
    const events = (await store.list<ClusterEvent>(keys.events)).map((e) => e.value);
    assert.ok(events.length <= 20 + 2, `kept ${events.length} events`);
    assert.equal(events.at(-1)?.message, "event 49", "the newest survive pruning");
    assert.deepEqual(
      events.map((e) => e.time),
      [...events.map((e) => e.time)].sort(),
      "listed oldest first",
    );
    assert.equal(events.at(-1)?.source, "worker/n1");
    assert.deepEqual(
      eventsFor(events, "api").map((e) => e.message),
      ["event 45", "event 46", "event 47", "event 48", "event 49"],
    );
    assert.deepEqual(
      eventsFor(events, "web-44").map((e) => e.message),
      ["event 44"],
    );
  } finally {
    await store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a repeat within the window is counted on one event that moves to its time; later, a new series starts", async () => {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-events-"));
  const backend = EmbeddedBackend.open(dir);
  const store = backend.connect();
  try {
    let now = 1_700_000_000_000;
    const recorder = new EventRecorder(store, "worker/n1", {
      clock: { now: () => now, setTimeout: () => () => {} },
    });
    const backOff = (message: string) =>
      recorder.record({
        type: "Warning",
        reason: "BackOff",
        object: "pod/web-a",
        deployment: "web",
        message,
      });
    backOff("back-off 1s");
    recorder.record({
      type: "Normal",
      reason: "Started",
      object: "pod/web-a",
      deployment: "web",
      message: "x",
    });
    // Recorded back to back, before the first is written: still one series, in order.
    now += 1000;
    backOff("back-off 2s");
    now += 1000;
    backOff("back-off 4s");
    await recorder.flush();
    let events = (await store.list<ClusterEvent>(keys.events)).map((e) => e.value);
    assert.deepEqual(
      events.map((e) => [e.reason, e.message, e.count, e.firstTime]),
      [
        ["Started", "x", undefined, undefined],
        ["BackOff", "back-off 4s", 3, new Date(1_700_000_000_000).toISOString()],
      ],
      "the repeat is last, with the newest message, the count and the first time",
    );
    assert.equal(events[1]?.time, new Date(now).toISOString());

    // Another pod's BackOff is a series of its own.
    now += 1;
    recorder.record({
      type: "Warning",
      reason: "BackOff",
      object: "pod/web-b",
      deployment: "web",
      message: "b",
    });
    // Past the window since the last time: counted afresh.
    now += EVENT_SERIES_WINDOW_MS;
    backOff("back-off 8s");
    await recorder.flush();
    events = (await store.list<ClusterEvent>(keys.events)).map((e) => e.value);
    assert.deepEqual(
      events.map((e) => [e.object, e.reason, e.count ?? 1]),
      [
        ["pod/web-a", "Started", 1],
        ["pod/web-a", "BackOff", 3],
        ["pod/web-b", "BackOff", 1],
        ["pod/web-a", "BackOff", 1],
      ],
    );

    // A series whose event was pruned meanwhile carries on as a new event.
    await store.delete(keys.event(events[3]?.id ?? ""));
    now += 1000;
    backOff("back-off 16s");
    await recorder.flush();
    events = (await store.list<ClusterEvent>(keys.events)).map((e) => e.value);
    assert.deepEqual(
      events.map((e) => [e.message, e.count ?? 1]),
      [
        ["x", 1],
        ["back-off 4s", 3],
        ["b", 1],
        ["back-off 16s", 2],
      ],
    );
  } finally {
    await store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
