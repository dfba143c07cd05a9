import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import type { Store } from "../store/store.js";
import type { ApiApp } from "./api-app.js";
import { buildApiServer } from "./server.js";

const TOKEN = "metrics-test-token-0123456789";

describe("API request metrics and GET /metrics", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let app: ApiApp;
  const auth = { authorization: `Bearer ${TOKEN}` };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-request-metrics-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    app = buildApiServer({ store, token: TOKEN });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const scrape = async () => {
    const answer = await app.inject({ method: "GET", url: "/metrics", headers: auth });
    assert.equal(answer.statusCode, 200);
    assert.match(answer.headers["content-type"] as string, /^text\/plain; version=0\.0\.4/);
    return answer.body;
  };

  test("/metrics needs the token, as every read does", async () => {
    assert.equal((await app.inject({ method: "GET", url: "/metrics" })).statusCode, 401);
    const wrong = { authorization: "Bearer not-the-token-at-all-0000" };
    assert.equal((await app.inject({ method: "GET", url: "/metrics", headers: wrong })).statusCode, 401);
  });

  test("requests are counted and timed by route pattern and status, never by raw URL", async () => {
    for (const name of ["alpha", "beta", "gamma"]) {
      const answer = await app.inject({
        method: "GET",
        url: `/deployments/${name}?x=${name}`,
        headers: auth,
      });
      assert.equal(answer.statusCode, 404);
    }
    await app.inject({ method: "GET", url: "/no/such/route/at/all", headers: auth });
    const text = await scrape();
    const lines = text.split("\n");
    assert.ok(
      lines.includes('orchestra_api_requests_total{method="GET",route="/deployments/:name",status="404"} 3'),
      text,
    );
    assert.ok(lines.includes('orchestra_api_requests_total{method="GET",route="unmatched",status="404"} 1'));
    assert.ok(
      lines.some((line) =>
        line.startsWith(
          'orchestra_api_request_duration_seconds_count{method="GET",route="/deployments/:name",status="404"} 3',
        ),
      ),
    );
    // The refused scrapes of the test above count too, under their own status.
    assert.match(text, /^orchestra_api_requests_total\{method="GET",route="\/metrics",status="401"\} [1-9]/m);
    assert.doesNotMatch(text, /alpha|beta|gamma|no\/such/);
  });
});
