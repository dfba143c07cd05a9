import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { systemClock } from "../core/clock.js";
import type { DeploymentSpec } from "../core/types.js";
import { validateDeploymentSpec } from "../core/validation.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { applyDeployment, deleteDeployment } from "./deployment-writes.js";
import type { PortClaim } from "./published-port-claims.js";

const spec = (name: string, ports: DeploymentSpec["ports"]): DeploymentSpec =>
  validateDeploymentSpec({ name, image: "orchestra/hello:1", ports });

describe("published port claims", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-claims-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
  });

  afterEach(() => {
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const apply = (s: DeploymentSpec) => applyDeployment(store, s, { kind: "none" }, systemClock);
  const holders = async () =>
    (await store.list<PortClaim>(keys.publishedPorts)).map(
      (e) => `${e.value.publishedPort}/${e.value.protocol}=${e.value.deployment}`,
    );

  test("a deployment holds its published ports; another deployment asking for one gets a 409 naming it", async () => {
    await apply(spec("web", [{ containerPort: 80, protocol: "tcp", publishedPort: 8000 }]));
    await assert.rejects(apply(spec("api", [{ containerPort: 80, protocol: "tcp", publishedPort: 8000 }])), {
      name: "ConflictError",
      message: "published port 8000/tcp is already taken by deployment web",
    });
    assert.equal(
      await store.get(keys.deployment("api")),
      undefined,
      "nothing of the refused deployment is written",
    );
    // The same number over UDP is another port.
    await apply(spec("dns", [{ containerPort: 53, protocol: "udp", publishedPort: 8000 }]));
    assert.deepEqual(await holders(), ["8000/tcp=web", "8000/udp=dns"]);
  });

  test("two deployments racing for one port: exactly one wins", async () => {
    for (let round = 0; round < 10; round++) {
      const ports = [{ containerPort: 80, protocol: "tcp" as const, publishedPort: 9000 + round }];
      const results = await Promise.allSettled([
        apply(spec(`a${round}`, ports)),
        apply(spec(`b${round}`, ports)),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      assert.equal(won.length, 1, `round ${round}: ${JSON.stringify(results)}`);
      assert.match(String((lost[0] as PromiseRejectedResult).reason), /already taken by deployment [ab]\d/);
    }
    assert.equal((await holders()).length, 10);
    assert.equal((await store.list(keys.deployments)).length, 10);
  });

  test("changing or dropping a published port frees the old one; deleting the deployment frees all", async () => {
    await apply(spec("web", [{ containerPort: 80, protocol: "tcp", publishedPort: 8000 }]));
    await apply(spec("web", [{ containerPort: 80, protocol: "tcp", publishedPort: 8001 }]));
    assert.deepEqual(await holders(), ["8001/tcp=web"]);
    await apply(spec("other", [{ containerPort: 80, protocol: "tcp", publishedPort: 8000 }]));
    await apply(spec("web", [{ containerPort: 80, protocol: "tcp" }]));
    assert.deepEqual(await holders(), ["8000/tcp=other"]);
    await deleteDeployment(store, "other", { kind: "none" }, systemClock);
    assert.deepEqual(await holders(), []);
    await apply(spec("web", [{ containerPort: 80, protocol: "tcp", publishedPort: 8000 }]));
    assert.deepEqual(await holders(), ["8000/tcp=web"]);
  });
});
