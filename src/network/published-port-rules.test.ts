import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { deployment, podOf } from "../controller/testing/test-fixtures.js";
import type { Deployment, Pod } from "../core/types.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { eventually } from "../store/testing/contract-support.js";
import { sameRule } from "./firewall-plan.js";
import { dnatForwardRule, PublishedPortRules, removePublishedPorts } from "./published-port-rules.js";
import { FakeKernel } from "./testing/fake-kernel.js";

const web = deployment({ name: "web", ports: [{ containerPort: 80, protocol: "tcp", publishedPort: 8000 }] });

function ready(owner: Deployment, id: string, node: string, ip: string): Pod {
  const pod = podOf(owner, id, { node, phase: "Running" });
  return { ...pod, status: { ...pod.status, ip, ready: true } };
}

describe("published port rules on a fake kernel", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let kernel: FakeKernel;
  const started: PublishedPortRules[] = [];

  const start = async (): Promise<PublishedPortRules> => {
    const rules = new PublishedPortRules({
      store,
      kernel,
      node: "h1",
      subnet: "10.42.0.0/24",
      gateway: "10.42.0.1",
    });
    started.push(rules);
    await rules.start();
    return rules;
  };
  const table = () => kernel.nftTableScripts.get("orchestra_ports_h1");
  const forwardRules = () => kernel.ruleList.filter((rule) => sameRule(rule, dnatForwardRule("h1")));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-published-ports-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    kernel = new FakeKernel();
  });
  afterEach(async () => {
    for (const rules of started.splice(0)) await rules.stop();
    await store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("without published ports nothing is written to the machine", async () => {
    await store.set(keys.deployment("plain"), deployment({ name: "plain" }));
    await start();
    assert.deepEqual([kernel.changes, kernel.ruleList], [[], []]);
  });

  test("follows the store: ready pods in, a pod that stops being ready out, the table gone with the deployment", async () => {
    await store.set(keys.deployment("web"), web);
    const local = ready(web, "a1aaaaa", "h1", "10.42.0.2");
    await store.set(keys.pod(local.id), local);
    const rules = await start();
    assert.match(table() ?? "", /dnat to 10\.42\.0\.2:80/);
    assert.equal(forwardRules().length, 1, "DNATed connections pass Docker's FORWARD chain");

    const remote = ready(web, "b1bbbbb", "h2", "10.42.1.2");
    await store.set(keys.pod(remote.id), remote);
    await store.set(keys.pod(local.id), { ...local, status: { ...local.status, ready: false } });
    await eventually(async () =>
      assert.match(table() ?? "", /ct mark set ct mark \| 0x00800000\n.*dnat to 10\.42\.1\.2:80/),
    );
    assert.match(table() ?? "", /snat to 10\.42\.0\.1/);

    const changes = kernel.changes.length;
    await store.set(keys.pod("unrelated"), { ...podOf(deployment({ name: "other" }), "unrelated") });
    await rules.whenIdle();
    assert.equal(kernel.changes.length, changes, "a change that leaves the rules alone writes nothing");

    await store.delete(keys.deployment("web"));
    await eventually(async () => assert.equal(table(), undefined));
    assert.equal(forwardRules().length, 0);
  });

  test("a restart replaces the table in one script, without removing it first", async () => {
    await store.set(keys.deployment("web"), web);
    const local = ready(web, "a1aaaaa", "h1", "10.42.0.2");
    await store.set(keys.pod(local.id), local);
    await (await start()).stop();
    kernel.changes.length = 0;
    await start();
    assert.deepEqual(kernel.changes, [
      "nft table ip orchestra_ports_h1; delete table ip orchestra_ports_h1; table ip orchestra_ports_h1",
    ]);
    assert.equal(forwardRules().length, 1);
    assert.equal(await removePublishedPorts(kernel), 1);
    assert.deepEqual([table(), forwardRules()], [undefined, []]);
  });
});
