// Every validation rule of a deployment, with the field each error names and the edge cases.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "./errors.js";
import { validateDeploymentSpec, validateImage, validateName } from "./validation.js";

const base = { name: "web", image: "nginx:1.27" };

/** Asserts that `input` is rejected with an error naming `field` (and whose message matches `message`). */
function rejects(input: unknown, field: string, message?: RegExp): void {
  assert.throws(
    () => validateDeploymentSpec(input),
    (e: unknown) => {
      assert.ok(e instanceof ValidationError, `expected ValidationError, got ${String(e)}`);
      assert.equal(e.field, field, e.message);
      assert.ok(e.message.startsWith(`${field}: `), e.message);
      if (message) assert.match(e.message, message);
      return true;
    },
    JSON.stringify(input),
  );
}

describe("whole spec", () => {
  test("minimal spec gets replicas 1 and nothing else", () => {
    assert.deepEqual(validateDeploymentSpec(base), { name: "web", image: "nginx:1.27", replicas: 1 });
  });

  test("full spec is kept, with the default protocol filled in", () => {
    const spec = validateDeploymentSpec({
      ...base,
      replicas: 3,
      command: ["sh", "-c", "echo hi"],
      env: { FOO: "bar", _X1: "" },
      ports: [
        { name: "http", containerPort: 80 },
        { containerPort: 53, protocol: "udp" },
      ],
      labels: { app: "web", "example.com/tier": "front" },
      resources: { cpu: 250, memory: 64 * 1024 * 1024 },
    });
    assert.deepEqual(spec, {
      name: "web",
      image: "nginx:1.27",
      replicas: 3,
      command: ["sh", "-c", "echo hi"],
      env: { FOO: "bar", _X1: "" },
      ports: [
        { name: "http", containerPort: 80, protocol: "tcp" },
        { containerPort: 53, protocol: "udp" },
      ],
      labels: { app: "web", "example.com/tier": "front" },
      resources: { cpu: 250, memory: 64 * 1024 * 1024 },
    });
  });

  test("does not share arrays or maps with the input", () => {
    const input = { ...base, command: ["a"], env: { A: "1" } };
    const spec = validateDeploymentSpec(input);
    input.command.push("b");
    input.env.A = "2";
    assert.deepEqual(spec.command, ["a"]);
    assert.equal(spec.env?.A, "1");
  });

  test("non-objects are rejected", () => {
    for (const bad of [null, undefined, "web", 3, [], [base], true])
      rejects(bad, "deployment", /must be an object/);
  });

  test("unknown fields are named, with a suggestion for a typo", () => {
    rejects({ ...base, replica: 2 }, "replica", /unknown field \(did you mean replicas\?\)/);
    rejects({ ...base, Image: "x" }, "Image", /unknown field \(did you mean image\?\)/);
    rejects({ ...base, status: {} }, "status", /unknown field; allowed: name, image/);
    rejects({ ...base, hash: "abc" }, "hash", /unknown field/);
  });

  test("name and image are required", () => {
    rejects({ image: "nginx" }, "name", /is required/);
    rejects({ name: "web" }, "image", /is required/);
  });
});

describe("name", () => {
  test("DNS labels are accepted", () => {
    for (const good of ["a", "0", "web", "web-1", "a-b-c", "1abc", "x".repeat(63)]) {
      assert.equal(validateName(good), good);
    }
  });

  test("anything else is rejected with the rule", () => {
    const bad = [
      "",
      "-web",
      "web-",
      "Web",
      "web_1",
      "web.1",
      "x".repeat(64),
      "wéb",
      "a b",
      "../etc",
      "a/b",
      "..",
      7,
    ];
    for (const name of bad) rejects({ ...base, name }, "name", /must be a DNS label: 1 to 63 characters/);
  });
});

describe("image", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  test("valid references", () => {
    const good = [
      "nginx",
      "nginx:1.27",
      "nginx:latest",
      "library/nginx",
      "docker.io/library/nginx:1.27-alpine",
      "localhost/app",
      "localhost:5000/app",
      "registry.local:5000/team/app:v1.2.3",
      "Registry.Example.com/app", // a host may hold uppercase letters; the path may not
      "[::1]:5000/app",
      "my_org/app__x",
      "a.b-c--d/e",
      `app@${digest}`,
      `registry.local:5000/team/app:v1@${digest}`,
      `app@sha512:${"0".repeat(128)}`,
      `app:${"t".repeat(128)}`,
      "a".repeat(255),
      "localhost:5000", // Docker reads this as image "localhost" with tag "5000"
    ];
    for (const image of good) assert.equal(validateImage(image), image);
  });

  test("uppercase in the repository path", () => {
    rejects({ ...base, image: "Nginx" }, "image", /repository name must be lowercase/);
    rejects({ ...base, image: "registry.local/Team/app" }, "image", /repository name must be lowercase/);
  });

  test("bad tags", () => {
    rejects({ ...base, image: "nginx:" }, "image", /tag "" is invalid/);
    rejects({ ...base, image: "nginx:.x" }, "image", /tag ".x" is invalid/);
    rejects({ ...base, image: `nginx:${"t".repeat(129)}` }, "image", /tag/);
  });

  test("bad digests", () => {
    for (const image of [
      "app@",
      "app@sha256:abc",
      `app@sha256:${"A".repeat(64)}`,
      `app@md5:${"a".repeat(32)}`,
      `app@sha256:${"a".repeat(65)}`,
      `app@${digest}@${digest}`,
    ]) {
      rejects({ ...base, image }, "image", /digest must be sha256:/);
    }
  });

  test("bad registries and paths", () => {
    rejects({ ...base, image: "-bad.host/app" }, "image", /registry "-bad.host" is not a valid host/);
    rejects({ ...base, image: "host.local:99999/app" }, "image", /registry port 99999 is out of range/);
    rejects({ ...base, image: "/app" }, "image", /registry "" is not/);
    for (const image of [
      "app/",
      "a//b",
      "a/-b",
      "a/b-",
      "a/b..c",
      "a/b___c",
      "nginx latest",
      "a/.b",
      "ngi nx",
    ]) {
      rejects({ ...base, image }, "image", /Docker image reference/);
    }
  });

  test("length limit of the name", () => {
    rejects({ ...base, image: "a".repeat(256) }, "image", /at most 255 characters/);
  });

  test("a bare image id is not a name", () => {
    rejects({ ...base, image: "f".repeat(64) }, "image", /ambiguous with an image id/);
  });

  test("non-strings and empty", () => {
    for (const image of ["", 5, null, ["nginx"], { name: "nginx" }]) rejects({ ...base, image }, "image");
  });
});

describe("replicas", () => {
  test("integers 0 to 1000", () => {
    for (const replicas of [0, 1, 999, 1000, 1e3]) {
      assert.equal(validateDeploymentSpec({ ...base, replicas }).replicas, replicas);
    }
    assert.ok(Object.is(validateDeploymentSpec({ ...base, replicas: -0 }).replicas, 0));
  });

  test("anything else gets the exact message", () => {
    for (const replicas of [-1, 1001, 1.5, "3", null, Number.NaN, true, [1]]) {
      assert.throws(
        () => validateDeploymentSpec({ ...base, replicas }),
        { message: "replicas: must be an integer from 0 to 1000" },
        String(replicas),
      );
    }
  });
});

describe("command", () => {
  test("a shell string is refused with a hint", () => {
    rejects({ ...base, command: "echo hi" }, "command", /not a shell string: write \["sh", "-c", "..."\]/);
  });

  test("must be a non-empty array of strings", () => {
    rejects({ ...base, command: [] }, "command", /non-empty array/);
    rejects({ ...base, command: { 0: "sh" } }, "command", /non-empty array/);
    rejects({ ...base, command: ["sh", 1] }, "command[1]", /must be a string/);
    rejects({ ...base, command: [""] }, "command[0]", /program/);
    rejects({ ...base, command: ["sh", "a\0b"] }, "command[1]", /NUL/);
  });

  test("empty arguments after the program are fine", () => {
    assert.deepEqual(validateDeploymentSpec({ ...base, command: ["printf", ""] }).command, ["printf", ""]);
  });
});

describe("env", () => {
  test("names and values", () => {
    rejects({ ...base, env: { "1A": "x" } }, 'env["1A"]', /environment variable name/);
    rejects({ ...base, env: { "A-B": "x" } }, 'env["A-B"]', /environment variable name/);
    rejects({ ...base, env: { "": "x" } }, 'env[""]', /environment variable name/);
    rejects({ ...base, env: { FOO: 1 } }, "env.FOO", /must be a string/);
    rejects({ ...base, env: { FOO: null } }, "env.FOO", /must be a string/);
    rejects({ ...base, env: { FOO: "a\0" } }, "env.FOO", /NUL/);
    rejects({ ...base, env: ["FOO=1"] }, "env", /must be an object/);
    rejects({ ...base, env: "FOO=1" }, "env", /must be an object/);
  });

  test("an empty map is allowed", () => {
    assert.deepEqual(validateDeploymentSpec({ ...base, env: {} }).env, {});
  });

  test("a __proto__ key is refused, never taken for a prototype", () => {
    rejects({ ...base, env: JSON.parse('{"__proto__": "x"}') }, "env.__proto__", /not __proto__/);
  });
});

describe("ports", () => {
  const port = (p: unknown) => ({ ...base, ports: [p] });
  test("containerPort range", () => {
    for (const containerPort of [0, 65536, -1, 80.5, "80", null]) {
      rejects(port({ containerPort }), "ports[0].containerPort", /integer from 1 to 65535/);
    }
    rejects(port({}), "ports[0].containerPort", /is required/);
    assert.equal(validateDeploymentSpec(port({ containerPort: 65535 })).ports?.[0]?.containerPort, 65535);
    assert.equal(validateDeploymentSpec(port({ containerPort: 1 })).ports?.[0]?.containerPort, 1);
  });

  test("protocol", () => {
    rejects(port({ containerPort: 80, protocol: "TCP" }), "ports[0].protocol", /"tcp" or "udp"/);
    rejects(port({ containerPort: 80, protocol: "sctp" }), "ports[0].protocol");
  });

  test("port names are IANA service names", () => {
    for (const name of ["http", "h2c", "a", "dns-tcp", "a".repeat(15), "x1"]) {
      assert.equal(validateDeploymentSpec(port({ name, containerPort: 80 })).ports?.[0]?.name, name);
    }
    for (const name of ["", "80", "HTTP", "-http", "http-", "a--b", "a".repeat(16), "h_t", 5]) {
      rejects(port({ name, containerPort: 80 }), "ports[0].name", /1 to 15 of a-z/);
    }
  });

  test("duplicates point at the second entry", () => {
    rejects(
      { ...base, ports: [{ containerPort: 80 }, { containerPort: 80, protocol: "tcp" }] },
      "ports[1].containerPort",
      /80\/tcp is already declared by ports\[0\]/,
    );
    rejects(
      {
        ...base,
        ports: [
          { name: "web", containerPort: 80 },
          { name: "web", containerPort: 81 },
        ],
      },
      "ports[1].name",
      /already used by ports\[0\]/,
    );
    // The same number over both protocols is two ports.
    const both = validateDeploymentSpec({
      ...base,
      ports: [{ containerPort: 53 }, { containerPort: 53, protocol: "udp" }],
    });
    assert.equal(both.ports?.length, 2);
  });

  test("shape", () => {
    rejects({ ...base, ports: { containerPort: 80 } }, "ports", /must be an array/);
    rejects({ ...base, ports: [80] }, "ports[0]", /must be an object/);
    rejects(port({ containerPort: 80, hostPort: 8080 }), "ports[0].hostPort", /unknown field/);
  });

  test("publishedPort: 1 to 65535, once per protocol in a deployment, none of Orchestra's own", () => {
    for (const publishedPort of [0, 65536, 80.5, "8000"]) {
      rejects(port({ containerPort: 80, publishedPort }), "ports[0].publishedPort");
    }
    assert.equal(
      validateDeploymentSpec(port({ containerPort: 80, publishedPort: 1 })).ports?.[0]?.publishedPort,
      1,
    );
    rejects(
      {
        ...base,
        ports: [
          { containerPort: 80, publishedPort: 8000 },
          { containerPort: 81, publishedPort: 8000 },
        ],
      },
      "ports[1].publishedPort",
      /8000\/tcp is already published by ports\[0\]/,
    );
    const both = validateDeploymentSpec({
      ...base,
      ports: [
        { containerPort: 80, publishedPort: 8000 },
        { containerPort: 80, protocol: "udp", publishedPort: 8000 },
      ],
    });
    assert.equal(both.ports?.length, 2);
    rejects(
      port({ containerPort: 80, publishedPort: 8080 }),
      "ports[0].publishedPort",
      /Orchestra's own ports \(the API server\)/,
    );
    rejects(
      port({ containerPort: 53, protocol: "udp", publishedPort: 53 }),
      "ports[0].publishedPort",
      /cluster DNS/,
    );
    rejects(port({ containerPort: 80, publishedPort: 2181 }), "ports[0].publishedPort", /ZooKeeper/);
  });
});

describe("labels", () => {
  const labels = (l: unknown) => ({ ...base, labels: l });
  test("valid keys and values", () => {
    const ok = {
      app: "web",
      "app.kubernetes.io/name": "x",
      "a/b": "",
      A_b: "a.b-c_D",
      ["k".repeat(63)]: "v".repeat(63),
    };
    assert.deepEqual(validateDeploymentSpec(labels(ok)).labels, ok);
  });

  test("bad keys", () => {
    rejects(labels({ "": "x" }), 'labels[""]', /key must be/);
    rejects(labels({ "-a": "x" }), 'labels["-a"]', /key must be/);
    rejects(labels({ ["k".repeat(64)]: "x" }), `labels.${"k".repeat(64)}`, /key must be/);
    rejects(labels({ "Example.com/a": "x" }), 'labels["Example.com/a"]', /prefix must be a DNS subdomain/);
    rejects(labels({ "/a": "x" }), 'labels["/a"]', /prefix/);
    rejects(labels({ "a/b/c": "x" }), 'labels["a/b/c"]', /key must be/);
    rejects(labels({ [`${"p".repeat(254)}/a`]: "x" }), `labels["${"p".repeat(254)}/a"]`, /prefix/);
  });

  test("bad values", () => {
    rejects(labels({ app: "-x" }), "labels.app", /value must be/);
    rejects(labels({ app: "a b" }), "labels.app", /value must be/);
    rejects(labels({ app: "v".repeat(64) }), "labels.app", /value must be/);
    rejects(labels({ app: 1 }), "labels.app", /must be a string/);
    rejects(labels([]), "labels", /must be an object/);
  });
});

describe("resources", () => {
  test("positive integers", () => {
    assert.deepEqual(validateDeploymentSpec({ ...base, resources: { cpu: 1 } }).resources, { cpu: 1 });
    assert.deepEqual(validateDeploymentSpec({ ...base, resources: {} }).resources, {});
    for (const cpu of [0, -1, 0.5, "100m", null]) {
      rejects({ ...base, resources: { cpu } }, "resources.cpu", /positive integer of millicores/);
    }
    for (const memory of [0, 1.5, "64Mi", 2 ** 60]) {
      rejects({ ...base, resources: { memory } }, "resources.memory", /positive integer of bytes/);
    }
    rejects({ ...base, resources: { gpu: 1 } }, "resources.gpu", /unknown field/);
    rejects({ ...base, resources: 5 }, "resources", /must be an object/);
  });
});
