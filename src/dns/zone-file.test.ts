import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { ClusterRecords } from "./cluster-records.js";
import { runningPod } from "./testing/test-support.js";
import { zoneIdentity } from "./zone.js";
import { renderZoneFile, zoneFileSerial } from "./zone-file.js";

function records(): ClusterRecords {
  const records = new ClusterRecords();
  records.setPod("p1", runningPod("p1", "web-a", "web", "10.0.0.2"));
  records.setPod("p2", runningPod("p2", "web-b", "web", "10.0.0.3"));
  records.setPod("p3", runningPod("p3", "dns-a", "dns", "10.0.0.4", { template: { image: "x" } }));
  records.setDeployment("idle", true);
  return records;
}

test("renders every record in master-file syntax", () => {
  const text = renderZoneFile(zoneIdentity("cluster.local", "10.0.0.1"), records(), 1_700_000_123);
  const lines = text.split("\n").filter((line) => line !== "" && !line.startsWith(";"));
  assert.deepEqual(lines, [
    "$ORIGIN cluster.local.",
    "$TTL 5",
    "@\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1700000123 7200 1800 86400 5",
    "@\tIN\tNS\tns.dns.cluster.local.",
    "ns.dns\tIN\tA\t10.0.0.1",
    "dns\tIN\tA\t10.0.0.4",
    "dns-a.dns\tIN\tA\t10.0.0.4",
    "web\tIN\tA\t10.0.0.2",
    "web\tIN\tA\t10.0.0.3",
    "web-a.web\tIN\tA\t10.0.0.2",
    "web-b.web\tIN\tA\t10.0.0.3",
    "_http._tcp.web\tIN\tSRV\t0 10 8080 web-a.web.cluster.local.",
    "_http._tcp.web\tIN\tSRV\t0 10 8080 web-b.web.cluster.local.",
  ]);
  assert.equal(zoneFileSerial(text), 1_700_000_123);
});

test("BIND's named-checkzone accepts it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-zone-"));
  try {
    for (const domain of ["cluster.local", "orchestra.example.org"]) {
      const path = join(dir, domain);
      writeFileSync(path, renderZoneFile(zoneIdentity(domain, "10.0.0.1"), records(), 2_000_000_000));
      const { stdout } = await promisify(execFile)("named-checkzone", [domain, path]);
      assert.match(stdout, /loaded serial 2000000000\nOK/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("zoneFileSerial reads other writers' SOA layouts, or nothing", () => {
  assert.equal(zoneFileSerial("@ 3600 IN SOA ns. host. ( 2024010101 ; serial\n 1 2 3 4 )"), 2024010101);
  assert.equal(zoneFileSerial("$ORIGIN x.\n@ IN NS ns.\n"), undefined);
  assert.equal(zoneFileSerial(""), undefined);
});
