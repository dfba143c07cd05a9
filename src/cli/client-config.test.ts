import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseClientConfig, resolveContext } from "./client-config.js";
import { adminConfigText } from "./client-config-file.js";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const noFiles = (path: string): string => {
  throw Object.assign(new Error(`no ${path}`), { code: "ENOENT" });
};

const TWO = `
current-context: home
clusters:
  - name: home
    cluster: { server: "https://127.0.0.1:8080", certificate-authority: ca.pem }
  - name: lab
    cluster: { server: "http://127.0.0.1:9090" }
users:
  - name: me
    user: { token: secret-1 }
contexts:
  - name: home
    context: { cluster: home, user: me }
  - name: lab
    context: { cluster: lab }
`;

describe("client config", () => {
  test("what up writes reads back as one context with its server, CA and token", () => {
    const text = adminConfigText({
      name: "orchestra",
      server: "https://127.0.0.1:8443",
      ca: CA,
      token: "t0k",
    });
    const config = parseClientConfig(text, noFiles);
    assert.deepEqual(resolveContext(config), {
      name: "orchestra",
      server: "https://127.0.0.1:8443",
      ca: CA,
      caFile: undefined,
      token: "t0k",
    });
    assert.match(text, /^# Orchestra client config/);
  });

  test("contexts by name; the current one by default; a CA file read beside the config", () => {
    const config = parseClientConfig(TWO, (path) => (path === "ca.pem" ? CA : noFiles(path)));
    assert.equal(resolveContext(config)?.token, "secret-1");
    assert.equal(resolveContext(config)?.ca, CA);
    assert.deepEqual(resolveContext(config, "lab"), {
      name: "lab",
      server: "http://127.0.0.1:9090",
      ca: undefined,
      caFile: undefined,
      token: undefined,
    });
    assert.throws(() => resolveContext(config, "nope"), /^Error: contexts: no context named "nope"$/);
    assert.equal(resolveContext(parseClientConfig("", noFiles)), undefined);
  });

  test("every error names its field", () => {
    const cases: [string, RegExp][] = [
      ["clusters: {}", /^clusters: must be a list$/],
      ["clusters: [{cluster: {server: 'http://a'}}]", /^clusters\[0\]\.name: is missing$/],
      ["clusters: [{name: a}]", /^clusters\[0\]\.cluster: must be a mapping$/],
      [
        "clusters: [{name: a, cluster: {server: 'ftp://a'}}]",
        /^clusters\[0\]\.cluster\.server: "ftp:\/\/a" must start with http/,
      ],
      [
        "clusters: [{name: a, cluster: {server: 'http://a', certificate-authority-data: bm9wZQ==}}]",
        /certificate-authority-data: must be a base64 PEM certificate/,
      ],
      [
        "clusters: [{name: a, cluster: {server: 'http://a', certificate-authority: x.pem}}]",
        /^clusters\[0\]\.cluster\.certificate-authority: cannot read x\.pem \(ENOENT\)$/,
      ],
      [
        "clusters: [{name: a, cluster: {server: 'http://a'}}, {name: a, cluster: {server: 'http://b'}}]",
        /^clusters\[1\]\.name: "a" is given twice$/,
      ],
      [
        "contexts: [{name: c, context: {cluster: zz}}]",
        /^contexts\[0\]\.context\.cluster: no cluster named "zz"$/,
      ],
      [
        "clusters: [{name: a, cluster: {server: 'http://a'}}]\ncontexts: [{name: c, context: {cluster: a, user: u}}]",
        /^contexts\[0\]\.context\.user: no user named "u"$/,
      ],
      ["current-context: 5", /^current-context: must be a non-empty string$/],
      ["current-context: gone", /^current-context: no context named "gone"$/],
      ["users: [{name: u, user: {token: 7}}]", /^users\[0\]\.user\.token: must be a non-empty string$/],
      ["- just a list", /^the top level: must be a mapping$/],
      ["a: [", /^the file: is not YAML/],
    ];
    for (const [text, expected] of cases) {
      assert.throws(
        () => parseClientConfig(text, noFiles),
        (err: Error) => {
          assert.match(err.message, expected, text);
          assert.ok(!err.message.includes("\n"), "one line");
          return true;
        },
      );
    }
  });
});
