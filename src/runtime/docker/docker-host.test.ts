// Parsing `--docker-host`: every form Docker's own tools accept, and a clear error otherwise.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError } from "../../core/errors.js";
import { formatDockerHost, parseDockerHost } from "./docker-host.js";

test("unix sockets, with or without the scheme", () => {
  assert.deepEqual(parseDockerHost("unix:///var/run/docker.sock"), { socketPath: "/var/run/docker.sock" });
  assert.deepEqual(parseDockerHost("unix:///tmp/n1/docker.sock"), { socketPath: "/tmp/n1/docker.sock" });
  assert.deepEqual(parseDockerHost("/run/docker.sock"), { socketPath: "/run/docker.sock" });
  assert.deepEqual(parseDockerHost(""), { socketPath: "/var/run/docker.sock" });
});

test("tcp, http and https addresses", () => {
  assert.deepEqual(parseDockerHost("tcp://10.0.0.2:2375"), {
    host: "10.0.0.2",
    port: 2375,
    protocol: "http",
  });
  assert.deepEqual(parseDockerHost("tcp://node-1"), { host: "node-1", port: 2375, protocol: "http" });
  assert.deepEqual(parseDockerHost("node-1:4243"), { host: "node-1", port: 4243, protocol: "http" });
  assert.deepEqual(parseDockerHost("https://node-1"), { host: "node-1", port: 2376, protocol: "https" });
  assert.deepEqual(parseDockerHost("tcp://[::1]:2375"), { host: "::1", port: 2375, protocol: "http" });
});

test("anything else is a ValidationError naming the flag", () => {
  for (const bad of ["ssh://user@host", "tcp://", "unix:/x"]) {
    assert.throws(
      () => parseDockerHost(bad),
      (err) => err instanceof ValidationError && err.field === "docker-host",
    );
  }
});

test("formats back to the address a user would type", () => {
  assert.equal(
    formatDockerHost(parseDockerHost("unix:///var/run/docker.sock")),
    "unix:///var/run/docker.sock",
  );
  assert.equal(formatDockerHost(parseDockerHost("node-1:4243")), "tcp://node-1:4243");
});
