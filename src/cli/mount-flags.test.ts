// `orchestra deploy` mount flags and `config|secret create` data flags, as a user types them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dataFromFlags } from "./commands/data.js";
import { specFromFlags } from "./deployment-flags.js";

describe("deploy mount flags", () => {
  test("volumes, host paths, tmpfs, configs and secrets become the spec's lists", () => {
    const spec = specFromFlags(
      "db",
      {
        image: "busybox",
        volume: ["data:/var/lib/db", "/srv/shared:/shared:ro"],
        tmpfs: ["/cache:8Mi", "/scratch"],
        config: ["app:/etc/app", "env-vars"],
        secret: ["db-password", "tls:/certs"],
      },
      [],
    );
    assert.deepEqual(spec.volumes, [
      { name: "data", mountPath: "/var/lib/db" },
      { name: "host-1", mountPath: "/shared", hostPath: "/srv/shared", readOnly: true },
      { name: "tmpfs-1", mountPath: "/cache", tmpfs: { sizeBytes: 8 * 2 ** 20 } },
      { name: "tmpfs-2", mountPath: "/scratch", tmpfs: { sizeBytes: 64 * 2 ** 20 } },
    ]);
    assert.deepEqual(spec.configs, [
      { name: "app", mountPath: "/etc/app" },
      { name: "env-vars", env: true },
    ]);
    assert.deepEqual(spec.secrets, [{ name: "db-password" }, { name: "tls", mountPath: "/certs" }]);
  });

  test("malformed flags fail naming the flag; bad values in the schema's words", () => {
    assert.throws(
      () => specFromFlags("db", { image: "busybox", volume: ["data"] }, []),
      /^CliError: --volume: expected/,
    );
    assert.throws(
      () => specFromFlags("db", { image: "busybox", volume: ["d:/x:rw"] }, []),
      /--volume: expected/,
    );
    assert.throws(
      () => specFromFlags("db", { image: "busybox", tmpfs: ["/c:lots"] }, []),
      /--tmpfs: expected/,
    );
    assert.throws(
      () => specFromFlags("db", { image: "busybox", volume: ["data:relative"] }, []),
      /volumes\[0\]\.mountPath: must be an absolute path/,
    );
    assert.throws(
      () => specFromFlags("db", { image: "busybox", tmpfs: ["/c:1Ki"] }, []),
      /volumes\[0\]\.tmpfs\.sizeBytes/,
    );
  });
});

describe("config and secret data flags", () => {
  const files: Record<string, string> = { "/tmp/app.conf": "level = info\n", "/tmp/pw": "s3cret" };
  const read = (path: string) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error("gone"), { code: "ENOENT" });
    return Buffer.from(text);
  };

  test("files under their name or a given key, literals KEY=VALUE (the value may hold '=')", () => {
    assert.deepEqual(
      dataFromFlags({ fromFile: ["/tmp/app.conf", "password=/tmp/pw"], fromLiteral: ["mode=a=b"] }, read),
      {
        "app.conf": Buffer.from("level = info\n").toString("base64"),
        password: Buffer.from("s3cret").toString("base64"),
        mode: Buffer.from("a=b").toString("base64"),
      },
    );
  });

  test("no data, a repeated key, a literal without '=' or an unreadable file fail without echoing content", () => {
    assert.throws(() => dataFromFlags({}, read), /give the data with --from-file or --from-literal/);
    assert.throws(() => dataFromFlags({ fromLiteral: ["a=1", "a=2"] }, read), /key "a" is given twice/);
    assert.throws(
      () => dataFromFlags({ fromLiteral: ["s3cret"] }, read),
      (err: Error) => {
        assert.equal(err.message, "--from-literal: expected KEY=VALUE");
        return true;
      },
    );
    assert.throws(
      () => dataFromFlags({ fromFile: ["/tmp/none"] }, read),
      /cannot read \/tmp\/none \(ENOENT\)/,
    );
  });
});
