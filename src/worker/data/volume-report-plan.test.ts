// What a worker reports of the named volumes on its engine, as plain data: new and changed reports, purged
// volumes removed once unused, reports of vanished volumes dropped.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { VolumeReport } from "../../core/types.js";
import type { VolumeInfo } from "../../runtime/runtime.js";
import { planVolumeReports } from "./volume-report-plan.js";

const at = "2024-01-01T00:00:00.000Z";
const now = "2024-01-02T00:00:00.000Z";

function volume(deployment: string, name: string, sizeBytes: number, containers: number): VolumeInfo {
  return {
    name: `orchestra-${deployment}-${name}`,
    labels: { "orchestra.managed": "true", "orchestra.deployment": deployment, "orchestra.volume": name },
    sizeBytes,
    containers,
  };
}

function report(deployment: string, name: string, extra: Partial<VolumeReport> = {}): VolumeReport {
  return {
    name: `orchestra-${deployment}-${name}`,
    node: "n1",
    deployment,
    volume: name,
    sizeBytes: 10,
    inUse: true,
    createdAt: at,
    updatedAt: at,
    ...extra,
  };
}

describe("planVolumeReports", () => {
  test("a new volume is reported; an unchanged report is not written again; a changed one is", () => {
    const plan = planVolumeReports({
      node: "n1",
      volumes: [volume("db", "data", 4096, 1), volume("web", "cache", 10, 1), volume("q", "log", 10, 0)],
      reports: [report("web", "cache"), report("q", "log")],
      now,
    });
    assert.deepEqual(plan, {
      write: [
        {
          name: "orchestra-db-data",
          node: "n1",
          deployment: "db",
          volume: "data",
          sizeBytes: 4096,
          inUse: true,
          createdAt: now,
          updatedAt: now,
        },
        { ...report("q", "log"), inUse: false, updatedAt: now },
      ],
      remove: [],
      drop: [],
    });
  });

  test("a volume marked for purge is removed once no container uses it; a vanished one's report goes", () => {
    const plan = planVolumeReports({
      node: "n1",
      volumes: [volume("db", "data", 10, 0), volume("busy", "data", 10, 1)],
      reports: [
        report("db", "data", { purge: true }),
        report("busy", "data", { purge: true }),
        report("gone", "data"),
      ],
      now,
    });
    assert.deepEqual(plan, { write: [], remove: ["orchestra-db-data"], drop: ["orchestra-gone-data"] });
  });

  test("volumes without Orchestra's labels are none of its business", () => {
    const plan = planVolumeReports({
      node: "n1",
      volumes: [{ name: "other", labels: { "orchestra.managed": "true" } }],
      reports: [],
      now,
    });
    assert.deepEqual(plan, { write: [], remove: [], drop: [] });
  });
});
