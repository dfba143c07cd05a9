import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ClusterEvent } from "../core/types.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import { EventRecorder, eventsFor } from "./event-recorder.js";

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
