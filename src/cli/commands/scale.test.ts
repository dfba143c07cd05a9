// `scale` against a scripted server that changes the deployment between our read and our write.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { CONFLICT_RETRY } from "../../core/conflict-retry.js";
import type { CliIo } from "../cli-io.js";
import { runCli } from "../program.js";

interface Exchange {
  request: string;
  ifMatch?: string;
  body?: unknown;
}

let server: Server;
let url: string;
let generation = 1;
/** How many PUTs to refuse with 409, as if another client had just written. */
let conflictsLeft = 0;
const exchanges: Exchange[] = [];

before(async () => {
  server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    request.on("end", () => {
      const ifMatch = request.headers["if-match"];
      exchanges.push({
        request: `${request.method} ${request.url}`,
        ifMatch: typeof ifMatch === "string" ? ifMatch : undefined,
        body: text === "" ? undefined : JSON.parse(text),
      });
      response.setHeader("content-type", "application/json");
      if (request.method === "GET") {
        response.end(
          JSON.stringify({
            name: "web",
            image: "nginx",
            replicas: 1,
            env: { A: "1" },
            hash: "h",
            generation,
            createdAt: "2025-01-01T00:00:00Z",
            updatedAt: "2025-01-01T00:00:00Z",
            status: { replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 },
          }),
        );
        return;
      }
      if (conflictsLeft > 0) {
        conflictsLeft--;
        generation++;
        response.statusCode = 409;
        response.end(
          JSON.stringify({ error: "Conflict", message: "deployment web is at another generation" }),
        );
        return;
      }
      response.end(JSON.stringify({ name: "web", generation: generation + 1 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function scale(replicas: string): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    readStdin: async () => "",
    env: { ORCHESTRA_SERVER: url },
    now: () => Date.now(),
  };
  const code = await runCli(["node", "orchestra", "scale", "web", replicas], io);
  return { code, out, err };
}

test("scale writes back the spec it read with If-Match, and reads again after a conflict", async () => {
  exchanges.length = 0;
  generation = 1;
  conflictsLeft = 2;
  const run = await scale("3");
  assert.deepEqual(run, { code: 0, out: "deployment/web scaled\n", err: "" });
  assert.deepEqual(
    exchanges.map((e) => [e.request, e.ifMatch]),
    [
      ["GET /deployments/web", undefined],
      ["PUT /deployments", "1"],
      ["GET /deployments/web", undefined],
      ["PUT /deployments", "2"],
      ["GET /deployments/web", undefined],
      ["PUT /deployments", "3"],
    ],
  );
  // Only the spec goes back (no hash, generation, timestamps or status), with the new replicas.
  assert.deepEqual(exchanges[5]?.body, { name: "web", image: "nginx", replicas: 3, env: { A: "1" } });
});

test("conflicts that go on are reported after the retry policy's attempts, not retried forever", async () => {
  exchanges.length = 0;
  generation = 1;
  conflictsLeft = 100;
  const run = await scale("3");
  assert.deepEqual(run, { code: 1, out: "", err: "error: deployment web is at another generation\n" });
  assert.equal(exchanges.filter((e) => e.request.startsWith("PUT")).length, CONFLICT_RETRY.attempts);
});
