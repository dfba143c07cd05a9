import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { manifestLabel, parseManifests } from "./manifests.js";

describe("parseManifests", () => {
  test("reads a multi-document YAML stream, skipping empty documents", () => {
    const manifests = parseManifests("name: a\nimage: x\n---\nname: b\nimage: y\nreplicas: 2\n---\n");
    assert.deepEqual(
      manifests.map((m) => [m.document, m.name, m.spec]),
      [
        [1, "a", { name: "a", image: "x" }],
        [2, "b", { name: "b", image: "y", replicas: 2 }],
      ],
    );
  });

  test("reads a JSON object and a JSON array, numbering array items", () => {
    assert.equal(parseManifests('{"name":"a","image":"x"}')[0]?.name, "a");
    const items = parseManifests('[{"name":"a","image":"x"},{"name":"b","image":"y"}]');
    assert.deepEqual(
      items.map((m) => manifestLabel(m)),
      ['document 1, item 1 ("a")', 'document 1, item 2 ("b")'],
    );
  });

  test("a syntax error names its document and stops everything", () => {
    assert.throws(() => parseManifests("name: a\n---\nname: [b\n"), {
      message: /^document 2: .* at line \d+, column \d+$/,
    });
  });

  test("a document that is not a mapping is refused", () => {
    assert.throws(() => parseManifests("name: a\n---\n- 1\n- 2\n"), {
      message: /^document 2, item 1: expected a deployment/,
    });
    assert.throws(() => parseManifests("just text"), { message: /^document 1: expected a deployment/ });
  });

  test("Compose-style port strings become port objects; a malformed one names its document and item", () => {
    const [manifest] = parseManifests(
      'name: web\nimage: x\nports: ["8000:80", "53/udp", {containerPort: 81}]\n',
    );
    assert.deepEqual(manifest?.spec.ports, [
      { containerPort: 80, protocol: "tcp", publishedPort: 8000 },
      { containerPort: 53, protocol: "udp" },
      { containerPort: 81 },
    ]);
    assert.throws(() => parseManifests('name: web\nimage: x\nports: ["0.0.0.0:8000:80"]\n'), {
      message:
        'document 1 ("web"): ports[0]: expected [PUBLISHED:]CONTAINER[/tcp|/udp], got "0.0.0.0:8000:80"',
    });
  });

  test("no documents at all is an empty list", () => {
    assert.deepEqual(parseManifests(""), []);
    assert.deepEqual(parseManifests("# only a comment\n"), []);
  });
});
