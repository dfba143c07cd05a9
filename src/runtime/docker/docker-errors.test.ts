import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dockerMessage, isDefinitivePullFailure, isEngineRefusal } from "./docker-errors.js";

/** An error as dockerode reports an engine's answer. */
function engineError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });
}

describe("docker error classification", () => {
  test("pull answers that will not change soon are definitive", () => {
    for (const message of [
      'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 192.0.2.1:53: no such host',
      "pull access denied for nope, repository does not exist or may require 'docker login'",
      "manifest for orchestra/hello:v9 not found: manifest unknown: manifest unknown",
      'Get "https://registry.local:5000/v2/": dial tcp 10.0.0.9:5000: connect: connection refused',
      "invalid reference format",
    ]) {
      assert.equal(isDefinitivePullFailure(message), true, message);
    }
  });

  test("pull failures that may pass are not", () => {
    for (const message of [
      'Get "https://registry-1.docker.io/v2/": net/http: TLS handshake timeout',
      "received unexpected HTTP status: 503 Service Unavailable",
      "received unexpected HTTP status: 500 Internal Server Error",
      "lookup registry-1.docker.io on 192.0.2.1:53: read udp: i/o timeout",
      "context deadline exceeded",
      "unexpected EOF",
      "toomanyrequests: Too Many Requests",
    ]) {
      assert.equal(isDefinitivePullFailure(message), false, message);
    }
  });

  test("an engine's answer is a refusal; a dropped call or a time-out is not", () => {
    const notFound =
      'OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "nope": executable file not found in $PATH: unknown';
    assert.equal(isEngineRefusal(engineError(400, notFound)), true);
    assert.equal(isEngineRefusal(engineError(500, "Minimum memory limit allowed is 6MB")), true);
    assert.equal(isEngineRefusal(engineError(500, "context deadline exceeded")), false);
    assert.equal(isEngineRefusal(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })), false);
  });

  test("the modem's prefix is dropped: a pull refused with HTTP 500 is still classified by its message", () => {
    const refused = new Error(
      '(HTTP code 500) server error - Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host ',
    );
    const message = dockerMessage(refused);
    assert.match(message, /^Get "https:/);
    assert.equal(isDefinitivePullFailure(message), true);
  });
});
