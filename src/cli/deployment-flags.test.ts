import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  parseKeyValues,
  parsePortFlag,
  parsePublishFlag,
  parseReplicas,
  specFromFlags,
  specOf,
} from "./deployment-flags.js";

describe("parseReplicas", () => {
  test("takes whole numbers from 0 to 1000", () => {
    assert.equal(parseReplicas("0"), 0);
    assert.equal(parseReplicas("1000"), 1000);
  });

  test("refuses anything else in the server's words", () => {
    for (const text of ["abc", "-1", "1.5", "1001", "", "1e2", "0x10"]) {
      assert.throws(
        () => parseReplicas(text),
        { message: "replicas: must be an integer from 0 to 1000" },
        text,
      );
    }
  });
});

describe("flag parsing", () => {
  test("KEY=VALUE pairs keep '=' in values", () => {
    assert.deepEqual(parseKeyValues("env", ["A=1", "B=x=y", "C="]), { A: "1", B: "x=y", C: "" });
    assert.throws(() => parseKeyValues("env", ["NOEQUALS"]), {
      message: '--env: expected KEY=VALUE, got "NOEQUALS"',
    });
    assert.throws(() => parseKeyValues("label", ["=v"]), {
      message: '--label: expected KEY=VALUE, got "=v"',
    });
  });

  test("ports: [name:]port[/protocol]", () => {
    assert.deepEqual(parsePortFlag("80"), { containerPort: 80, protocol: "tcp" });
    assert.deepEqual(parsePortFlag("http:8080"), { name: "http", containerPort: 8080, protocol: "tcp" });
    assert.deepEqual(parsePortFlag("dns:53/UDP"), { name: "dns", containerPort: 53, protocol: "udp" });
    for (const text of ["", "http", "80/sctp", "a:b:80"]) {
      assert.throws(
        () => parsePortFlag(text),
        { message: /^--port: expected \[NAME:\]PORT\[\/tcp\|\/udp\]/ },
        text,
      );
    }
  });
});

describe("--publish", () => {
  test("published:container[/protocol], as Docker writes it", () => {
    assert.deepEqual(parsePublishFlag("8000:80"), {
      containerPort: 80,
      protocol: "tcp",
      publishedPort: 8000,
    });
    assert.deepEqual(parsePublishFlag("5353:53/udp"), {
      containerPort: 53,
      protocol: "udp",
      publishedPort: 5353,
    });
    for (const text of ["80", "", "a:80", "8000:80/sctp", "127.0.0.1:8000:80"]) {
      assert.throws(
        () => parsePublishFlag(text),
        { message: /^--publish: expected PUBLISHED:CONTAINER\[\/tcp\|\/udp\]/ },
        text,
      );
    }
  });

  test("publishes a port declared by --port, or declares it", () => {
    const spec = specFromFlags(
      "web",
      { image: "x", port: ["http:80"], publish: ["8000:80", "5353:53/udp"] },
      [],
    );
    assert.deepEqual(spec.ports, [
      { name: "http", containerPort: 80, protocol: "tcp", publishedPort: 8000 },
      { containerPort: 53, protocol: "udp", publishedPort: 5353 },
    ]);
    assert.throws(() => specFromFlags("web", { image: "x", publish: ["70000:80"] }, []), {
      message: /^ports\[0\]\.publishedPort: must be an integer from 1 to 65535/,
    });
    assert.throws(() => specFromFlags("web", { image: "x", publish: ["8080:80"] }, []), {
      message: "ports[0].publishedPort: 8080/tcp is one of Orchestra's own ports (the API server)",
    });
  });
});

describe("specFromFlags", () => {
  test("builds the whole spec, replicas defaulting to 1", () => {
    const spec = specFromFlags(
      "web",
      {
        image: "nginx:alpine",
        env: ["MODE=prod"],
        port: ["http:80"],
        label: ["tier=front"],
        cpu: "250m",
        memory: "64Mi",
      },
      ["nginx", "-g", "daemon off;"],
    );
    assert.deepEqual(spec, {
      name: "web",
      image: "nginx:alpine",
      replicas: 1,
      command: ["nginx", "-g", "daemon off;"],
      env: { MODE: "prod" },
      ports: [{ name: "http", containerPort: 80, protocol: "tcp" }],
      labels: { tier: "front" },
      resources: { cpu: 250, memory: 64 * 2 ** 20 },
    });
  });

  test("checks the spec with the server's rules and wording", () => {
    assert.throws(() => specFromFlags("Web", { image: "nginx" }, []), {
      message: /^name: must be a DNS label/,
    });
    assert.throws(() => specFromFlags("web", { image: "nginx", port: ["70000"] }, []), {
      message: "ports[0].containerPort: must be an integer from 1 to 65535",
    });
    assert.throws(() => specFromFlags("web", { image: "nginx", memory: "lots" }, []), {
      message: /^--memory: expected/,
    });
    assert.throws(() => specFromFlags("web", { image: "nginx", cpu: "0.5" }, []), {
      message: /^--cpu: expected/,
    });
  });

  test("specOf keeps only what PUT accepts", () => {
    const stored = {
      name: "web",
      image: "nginx",
      replicas: 2,
      env: { A: "1" },
      hash: "h",
      generation: 4,
      createdAt: "t",
      updatedAt: "t",
      status: { replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    };
    assert.deepEqual(specOf(stored), { name: "web", image: "nginx", replicas: 2, env: { A: "1" } });
  });
});
