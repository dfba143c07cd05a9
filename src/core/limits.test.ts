// Every limit of a deployment's fields and of the whole spec: refused with the field and the limit named, and
// published in the schema so that /openapi.json states it too. Values just within each limit pass.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "./errors.js";
import {
  MAX_ARG_LENGTH,
  MAX_ARGS,
  MAX_CONSTRAINT_VALUES,
  MAX_CONSTRAINTS,
  MAX_DEPLOYMENT_BYTES,
  MAX_ENV_NAME_LENGTH,
  MAX_ENV_VALUE_LENGTH,
  MAX_ENV_VARS,
  MAX_HTTP_PATH_LENGTH,
  MAX_IMAGE_LENGTH,
  MAX_LABEL_KEY_LENGTH,
  MAX_LABELS,
  MAX_PORTS,
} from "./limits.js";
import { DeploymentSpec } from "./schemas/deployment.js";
import { NodeLabelsPatch } from "./schemas/node.js";
import { validateDeploymentSpec } from "./validation.js";

const base = { name: "web", image: "nginx:1.27" };

function rejects(input: Record<string, unknown>, field: string, message: RegExp): void {
  assert.throws(
    () => validateDeploymentSpec({ ...base, ...input }),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError, String(error));
      assert.equal(error.field, field, error.message);
      assert.match(error.message, message);
      return true;
    },
  );
}

const many = <T>(n: number, item: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => item(i));
const map = <T>(n: number, key: (i: number) => string, value: T) =>
  Object.fromEntries(many(n, (i) => [key(i), value]));

describe("limits of a deployment's fields", () => {
  test("image, command and its arguments", () => {
    rejects({ image: `a${"b".repeat(MAX_IMAGE_LENGTH)}` }, "image", /at most 1024 characters/);
    validateDeploymentSpec({ ...base, command: many(MAX_ARGS, () => "x") });
    rejects({ command: many(MAX_ARGS + 1, () => "x") }, "command", /at most 1024 arguments/);
    validateDeploymentSpec({ ...base, command: ["sh", "x".repeat(MAX_ARG_LENGTH)] });
    rejects({ command: ["sh", "x".repeat(MAX_ARG_LENGTH + 1)] }, "command[1]", /at most 32768 characters/);
  });

  test("env: variables, names and values", () => {
    validateDeploymentSpec({ ...base, env: map(MAX_ENV_VARS, (i) => `V${i}`, "") });
    rejects({ env: map(MAX_ENV_VARS + 1, (i) => `V${i}`, "") }, "env", /at most 1000 variables/);
    rejects(
      { env: { ["N".repeat(MAX_ENV_NAME_LENGTH + 1)]: "" } },
      `env.${"N".repeat(MAX_ENV_NAME_LENGTH + 1)}`,
      /at most 256 characters/,
    );
    rejects({ env: { BIG: "x".repeat(MAX_ENV_VALUE_LENGTH + 1) } }, "env.BIG", /at most 32768 characters/);
  });

  test("ports, labels and their keys", () => {
    const ports = many(MAX_PORTS + 1, (i) => ({ containerPort: i + 1 }));
    rejects({ ports }, "ports", /at most 100 ports/);
    rejects({ labels: map(MAX_LABELS + 1, (i) => `l${i}`, "v") }, "labels", /at most 64 labels/);
    const longKey = `${"a".repeat(250)}.com/${"n".repeat(70)}`;
    assert.ok(longKey.length > MAX_LABEL_KEY_LENGTH);
    rejects({ labels: { [longKey]: "v" } }, `labels[${JSON.stringify(longKey)}]`, /at most 317 characters/);
  });

  test("health check: exec arguments and the http path refuse NUL and line breaks", () => {
    const exec = (args: unknown[]) => ({ healthCheck: { exec: args } });
    rejects(exec(["true\u0000"]), "healthCheck.exec[0]", /NUL character or a line break/);
    rejects(exec(["sh", "-c", "a\nb"]), "healthCheck.exec[2]", /NUL character or a line break/);
    rejects(exec(many(MAX_ARGS + 1, () => "x")), "healthCheck.exec", /at most 1024 arguments/);
    const http = (path: string) => ({ healthCheck: { http: { path, port: 80 } } });
    for (const path of ["/a\u0000b", "/a\nb", "/a\r\nHost: x"]) {
      rejects(http(path), "healthCheck.http.path", /control characters/);
    }
    rejects(http(`/${"p".repeat(MAX_HTTP_PATH_LENGTH)}`), "healthCheck.http.path", /at most 2048 characters/);
  });

  test("constraints: label keys and values in label syntax, bounded in number", () => {
    const constraint = (c: Record<string, unknown>) => ({ placement: { constraints: [c] } });
    rejects(
      constraint({ label: "zo\u0000ne", value: "east" }),
      "placement.constraints[0].label",
      /key must be/,
    );
    rejects(constraint({ label: "zone\n", value: "east" }), "placement.constraints[0].label", /key must be/);
    rejects(constraint({ label: "zone", value: "ea\nst" }), "placement.constraints[0].value", /at most 63/);
    rejects(constraint({ label: "zone", value: "e\u0000" }), "placement.constraints[0].value", /at most 63/);
    rejects(
      constraint({ label: "zone", operator: "in", values: ["a", "b\r"] }),
      "placement.constraints[0].values[1]",
      /at most 63/,
    );
    rejects(
      constraint({ label: "zone", operator: "in", values: many(MAX_CONSTRAINT_VALUES + 1, (i) => `v${i}`) }),
      "placement.constraints[0].values",
      /at most 64 values/,
    );
    const constraints = many(MAX_CONSTRAINTS + 1, () => ({ label: "zone", value: "east" }));
    rejects({ placement: { constraints } }, "placement.constraints", /at most 64 constraints/);
  });

  test("the whole spec, as JSON, is at most 256 KiB", () => {
    const env = map(20, (i) => `V${i}`, "x".repeat(MAX_ENV_VALUE_LENGTH - 100));
    assert.ok(JSON.stringify({ ...base, env }).length > MAX_DEPLOYMENT_BYTES);
    rejects({ env }, "deployment", /bytes as JSON; at most 262144/);
    validateDeploymentSpec({ ...base, env: map(7, (i) => `V${i}`, "x".repeat(MAX_ENV_VALUE_LENGTH - 100)) });
  });
});

describe("limits are published in the schemas", () => {
  test("the deployment's and the node labels' schemas carry them", () => {
    const keyword = (schema: unknown, name: string) => (schema as Record<string, unknown>)[name];
    const fields = DeploymentSpec.properties;
    assert.equal(keyword(fields.image, "maxLength"), MAX_IMAGE_LENGTH);
    assert.equal(keyword(fields.command, "maxItems"), MAX_ARGS);
    assert.equal(keyword(fields.env, "maxProperties"), MAX_ENV_VARS);
    assert.equal(keyword(fields.ports, "maxItems"), MAX_PORTS);
    assert.equal(keyword(fields.labels, "maxProperties"), MAX_LABELS);
    assert.equal(keyword(NodeLabelsPatch.properties.labels, "maxProperties"), MAX_LABELS);
  });
});
