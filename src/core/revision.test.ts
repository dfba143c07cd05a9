// The revision hash moves exactly when the pods' template changes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalJson, podTemplateOf, revisionHash } from "./revision.js";
import type { DeploymentSpec } from "./types.js";

const spec: DeploymentSpec = {
  name: "web",
  image: "nginx:1.27",
  replicas: 2,
  command: ["nginx", "-g", "daemon off;"],
  env: { A: "1", B: "2" },
  ports: [
    { name: "http", containerPort: 80, protocol: "tcp" },
    { containerPort: 53, protocol: "udp" },
  ],
  labels: { app: "web", tier: "front" },
  resources: { cpu: 100, memory: 1 << 20 },
};
const hashOf = (s: DeploymentSpec) => revisionHash(podTemplateOf(s));

test("10 lowercase hex characters, stable across calls", () => {
  const h = hashOf(spec);
  assert.match(h, /^[0-9a-f]{10}$/);
  assert.equal(hashOf(structuredClone(spec)), h);
});

test("known value, so that a change of the canonical form is noticed", () => {
  // sha256 of {"image":"nginx"}, truncated.
  assert.equal(revisionHash({ image: "nginx" }), "87132e95df");
});

test("name and replicas are not part of the template", () => {
  const template = podTemplateOf(spec);
  assert.equal("name" in template, false);
  assert.equal("replicas" in template, false);
  assert.equal(hashOf({ ...spec, replicas: 7 }), hashOf(spec));
  assert.equal(hashOf({ ...spec, name: "other" }), hashOf(spec));
  // A whole deployment passed as a template hashes like its template.
  assert.equal(revisionHash(spec), hashOf(spec));
});

test("every template field changes the hash", () => {
  const h = hashOf(spec);
  const variants: DeploymentSpec[] = [
    { ...spec, image: "nginx:1.28" },
    { ...spec, command: ["nginx"] },
    { ...spec, command: undefined },
    { ...spec, env: { A: "1", B: "3" } },
    { ...spec, env: { A: "1" } },
    { ...spec, ports: [{ containerPort: 80, protocol: "tcp" }] },
    {
      ...spec,
      ports: [
        { name: "web", containerPort: 80, protocol: "tcp" },
        { containerPort: 53, protocol: "udp" },
      ],
    },
    { ...spec, labels: { app: "web" } },
    { ...spec, resources: { cpu: 200, memory: 1 << 20 } },
    { ...spec, resources: undefined },
  ];
  const hashes = new Set(variants.map(hashOf));
  assert.equal(hashes.size, variants.length, "variants collide");
  assert.equal(hashes.has(h), false);
});

test("order of map keys and of ports does not matter; empty maps equal absent ones", () => {
  const reordered: DeploymentSpec = {
    resources: { memory: 1 << 20, cpu: 100 },
    labels: { tier: "front", app: "web" },
    ports: [
      { protocol: "udp", containerPort: 53 },
      { protocol: "tcp", containerPort: 80, name: "http" },
    ],
    env: { B: "2", A: "1" },
    command: ["nginx", "-g", "daemon off;"],
    replicas: 2,
    image: "nginx:1.27",
    name: "web",
  };
  assert.equal(hashOf(reordered), hashOf(spec));
  const bare: DeploymentSpec = { name: "x", image: "busybox", replicas: 1 };
  assert.equal(hashOf({ ...bare, env: {}, labels: {}, ports: [], resources: {} }), hashOf(bare));
});

test("command argument order matters", () => {
  assert.notEqual(hashOf({ ...spec, command: ["-g", "nginx", "daemon off;"] }), hashOf(spec));
});

test("podTemplateOf copies, so that editing the template leaves the spec alone", () => {
  const template = podTemplateOf(spec);
  template.env = { ...template.env, C: "3" };
  template.command?.push("x");
  assert.deepEqual(spec.env, { A: "1", B: "2" });
  assert.equal(spec.command?.length, 3);
});

test("canonicalJson sorts keys deeply and drops undefined", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [2, { y: 1, x: undefined }], c: undefined } }),
    '{"a":{"d":[2,{"y":1}]},"b":1}',
  );
});

test("volumes, configs and secrets: their order does not matter, their versions do", () => {
  const mounting: DeploymentSpec = {
    ...spec,
    volumes: [
      { name: "data", mountPath: "/data" },
      { name: "scratch", mountPath: "/tmp", tmpfs: { sizeBytes: 1 << 20 } },
    ],
    configs: [
      { name: "app", mountPath: "/etc/app", version: 2 },
      { name: "flags", env: true, version: 1 },
    ],
    secrets: [{ name: "db-password", version: 3 }],
  };
  const reordered: DeploymentSpec = {
    ...mounting,
    volumes: [...(mounting.volumes ?? [])].reverse(),
    configs: [...(mounting.configs ?? [])].reverse(),
  };
  assert.equal(hashOf(reordered), hashOf(mounting));
  const variants: DeploymentSpec[] = [
    { ...mounting, secrets: [{ name: "db-password", version: 4 }] },
    { ...mounting, configs: [{ name: "app", mountPath: "/etc/app", version: 3 }] },
    { ...mounting, volumes: [{ name: "data", mountPath: "/data", readOnly: true }] },
    { ...mounting, secrets: undefined },
  ];
  const hashes = new Set([mounting, ...variants].map(hashOf));
  assert.equal(hashes.size, variants.length + 1, "a version change must give a new revision");
});
