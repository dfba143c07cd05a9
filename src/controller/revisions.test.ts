// The change cause recorded with each revision: what a user reads in `rollout history`.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PodTemplate } from "../core/types.js";
import { describeChange } from "./revisions.js";

const template: PodTemplate = {
  image: "app:1",
  configs: [{ name: "app", mountPath: "/etc/app", version: 1 }],
  secrets: [
    { name: "db-password", version: 2 },
    { name: "token", version: 1 },
  ],
};

test("a new deployment and a new image", () => {
  assert.equal(describeChange(undefined, template), "created with image app:1");
  assert.equal(describeChange(template, { ...template, image: "app:2" }), "image app:1 -> app:2");
});

test("an updated secret or config is named", () => {
  const secrets = [
    { name: "db-password", version: 3 },
    { name: "token", version: 1 },
  ];
  assert.equal(describeChange(template, { ...template, secrets }), "secret db-password changed");
  const configs = [{ name: "app", mountPath: "/etc/app", version: 2 }];
  assert.equal(
    describeChange(template, { ...template, configs, secrets }),
    "config app changed, secret db-password changed",
  );
});

test("a reference added, removed or moved is a change of the list", () => {
  assert.equal(describeChange(template, { ...template, secrets: [] }), "secrets changed");
  const moved = [{ name: "app", mountPath: "/etc/other", version: 1 }];
  assert.equal(describeChange(template, { ...template, configs: moved }), "configs changed");
});
