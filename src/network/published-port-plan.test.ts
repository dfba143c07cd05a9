import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deployment, podOf } from "../controller/testing/test-fixtures.js";
import type { Deployment, Pod } from "../core/types.js";
import { planPublishedPorts, receivesConnections } from "./published-port-plan.js";
import { renderPortRuleset } from "./published-port-ruleset.js";

const web = deployment({
  name: "web",
  ports: [
    { containerPort: 80, protocol: "tcp", publishedPort: 8000 },
    { containerPort: 9000, protocol: "tcp" },
  ],
});

function running(owner: Deployment, id: string, node: string, ip: string, extra: Partial<Pod> = {}): Pod {
  const pod = podOf(owner, id, { node, phase: "Running" });
  return { ...pod, ...extra, status: { ...pod.status, ip, ready: true, ...extra.status } };
}

describe("planPublishedPorts", () => {
  const a1 = running(web, "a1aaaaa", "a", "10.42.1.2");
  const a2 = running(web, "a2aaaaa", "a", "10.42.1.3");
  const b1 = running(web, "b1bbbbb", "b", "10.42.2.2");

  test("a node with ready pods of the deployment sends connections only to them, unmasqueraded", () => {
    const [service, ...rest] = planPublishedPorts("a", [web], [b1, a2, a1]);
    assert.equal(rest.length, 0, "only the published port gets an entry");
    assert.deepEqual(service, {
      deployment: "web",
      publishedPort: 8000,
      containerPort: 80,
      protocol: "tcp",
      masquerade: false,
      backends: [
        { pod: "web-a1aaa", ip: "10.42.1.2", port: 80 },
        { pod: "web-a2aaa", ip: "10.42.1.3", port: 80 },
      ],
    });
  });

  test("a node without one sends them to every other node's ready pods, masqueraded", () => {
    const [service] = planPublishedPorts("c", [web], [a1, b1]);
    assert.equal(service?.masquerade, true);
    assert.deepEqual(
      service?.backends.map((b) => b.ip),
      ["10.42.1.2", "10.42.2.2"],
    );
  });

  test("only ready pods receive new connections: not ready, unhealthy, draining, not running or without an address leave", () => {
    const notReady = running(web, "a3aaaaa", "a", "10.42.1.4", {
      status: { phase: "Running", restarts: 0, ready: false },
    });
    const draining = running(web, "a4aaaaa", "a", "10.42.1.5", {
      terminatingSince: "2024-01-01T00:00:01.000Z",
    });
    const starting = running(web, "a5aaaaa", "a", "10.42.1.6", {
      status: { phase: "Starting", restarts: 0 },
    });
    const noAddress = {
      ...running(web, "a6aaaaa", "a", "x"),
      status: { phase: "Running" as const, restarts: 0, ready: true },
    };
    for (const pod of [notReady, draining, starting, noAddress])
      assert.equal(receivesConnections(pod), false, pod.id);
    // With only unready local pods, the node falls back on the ready pod elsewhere.
    const [service] = planPublishedPorts("a", [web], [notReady, draining, starting, noAddress, b1]);
    assert.deepEqual(
      service?.backends.map((b) => b.pod),
      ["web-b1bbb"],
    );
    assert.equal(service?.masquerade, true);
    const [none] = planPublishedPorts("a", [web], [notReady]);
    assert.deepEqual([none?.backends, none?.masquerade], [[], false]);
  });

  test("a pod written before readiness existed counts while running, unless it has a health check", () => {
    const legacy = running(web, "a7aaaaa", "a", "10.42.1.7");
    delete legacy.status.ready;
    assert.equal(receivesConnections(legacy), true);
    legacy.template = {
      ...legacy.template,
      healthCheck: {
        tcp: { port: 80 },
        intervalSeconds: 5,
        timeoutSeconds: 2,
        retries: 3,
        startPeriodSeconds: 0,
      },
    };
    assert.equal(receivesConnections(legacy), false);
  });

  test("pods of an older revision serve while they declare the container port; other deployments' pods never", () => {
    const moved = deployment({
      name: "web",
      ports: [{ containerPort: 81, protocol: "tcp", publishedPort: 8000 }],
    });
    const newPod = running(moved, "n1nnnnn", "b", "10.42.2.9");
    const other = running(
      deployment({ name: "api", ports: [{ containerPort: 80, protocol: "tcp" }] }),
      "o1ooooo",
      "a",
      "10.42.1.9",
    );
    const [service] = planPublishedPorts("a", [moved], [a1, newPod, other]);
    assert.deepEqual(service?.backends, [{ pod: "web-n1nnn", ip: "10.42.2.9", port: 81 }]);
  });

  test("TCP and UDP on one number are two services, in port order", () => {
    const dns = deployment({
      name: "dns",
      ports: [
        { containerPort: 53, protocol: "udp", publishedPort: 5353 },
        { containerPort: 53, protocol: "tcp", publishedPort: 5353 },
      ],
    });
    const pod = running(dns, "d1ddddd", "a", "10.42.1.8");
    assert.deepEqual(
      planPublishedPorts("a", [dns, web], [pod, a1]).map(
        (s) => `${s.deployment} ${s.publishedPort}/${s.protocol} ${s.backends.length}`,
      ),
      ["dns 5353/tcp 1", "dns 5353/udp 1", "web 8000/tcp 1"],
    );
  });
});

describe("renderPortRuleset", () => {
  const service = (backends: number, masquerade: boolean, protocol: "tcp" | "udp" = "tcp") => ({
    deployment: "web",
    publishedPort: 8000,
    containerPort: 80,
    protocol,
    masquerade,
    backends: Array.from({ length: backends }, (_, i) => ({
      pod: `web-${i}`,
      ip: `10.42.1.${i + 2}`,
      port: 80,
    })),
  });
  const options = { table: "orchestra_ports", localhost: false };

  test("replaces the whole table in one script: create, delete, then the new table", () => {
    const script = renderPortRuleset([service(2, false)], options);
    const lines = script.split("\n");
    assert.deepEqual(lines.slice(0, 3), [
      "table ip orchestra_ports",
      "delete table ip orchestra_ports",
      "table ip orchestra_ports {",
    ]);
    assert.match(script, /tcp dport 8000 jump port_tcp_8000\n/);
    assert.match(
      script,
      /meta l4proto tcp dnat ip to numgen random mod 2 map \{ 0 : 10\.42\.1\.2 \. 80, 1 : 10\.42\.1\.3 \. 80 \}/,
    );
    assert.doesNotMatch(script, /ct mark set/, "local backends keep the client's address");
  });

  test("remote backends are masqueraded; a single backend is a plain DNAT; UDP too", () => {
    const script = renderPortRuleset([service(1, true, "udp")], options);
    assert.match(
      script,
      /chain port_udp_8000 \{\n.*\n {4}ct mark set ct mark \| 0x00800000\n {4}meta l4proto udp dnat to 10\.42\.1\.2:80\n/,
    );
    assert.match(script, /ct mark & 0x00800000 == 0x00800000 masquerade/);
  });

  test("a port without ready backends gets no rule; loopback is left alone unless published there", () => {
    const script = renderPortRuleset([service(0, false)], options);
    assert.doesNotMatch(script, /dport 8000/);
    assert.match(script, /ip daddr != 127\.0\.0\.0\/8 fib daddr type local jump published/);
    const withLocalhost = renderPortRuleset([service(1, false)], {
      ...options,
      localhost: true,
      masqueradeSources: ["10.42.1.0/24"],
    });
    assert.match(withLocalhost, /chain output \{\n.*\n {4}fib daddr type local jump published/);
    assert.match(withLocalhost, /ip saddr \{ 127\.0\.0\.0\/8, 10\.42\.1\.0\/24 \} ct mark set/);
  });
});
