import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { ApiClient, normaliseServerUrl } from "./api-client.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A real HTTP server whose next answer each test scripts, and which records what it received. */
let server: Server;
let url: string;
let seen: Seen[] = [];
let answer: (response: ServerResponse) => void = (response) => response.end();

before(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function json(status: number, body: unknown): (response: ServerResponse) => void {
  return (response) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };
}

describe("ApiClient", () => {
  test("sends the bearer token, the JSON body and If-Match; tells created from updated", async () => {
    seen = [];
    const client = new ApiClient({ server: `${url}/`, token: "s3cret" });
    answer = json(201, { name: "web", generation: 1 });
    const created = await client.putDeployment({ name: "web", image: "nginx", replicas: 1 });
    assert.equal(created.created, true);
    answer = json(200, { name: "web", generation: 2 });
    const updated = await client.putDeployment(
      { name: "web", image: "nginx", replicas: 2 },
      { ifMatchGeneration: 1 },
    );
    assert.equal(updated.created, false);
    assert.equal(updated.deployment.generation, 2);
    assert.equal(seen.length, 2);
    assert.equal(seen[1]?.method, "PUT");
    assert.equal(seen[1]?.url, "/deployments");
    assert.equal(seen[1]?.headers.authorization, "Bearer s3cret");
    assert.equal(seen[1]?.headers["content-type"], "application/json");
    assert.equal(seen[1]?.headers["if-match"], "1");
    assert.equal(seen[0]?.headers["if-match"], undefined);
    assert.deepEqual(JSON.parse(seen[1]?.body ?? ""), { name: "web", image: "nginx", replicas: 2 });
  });

  test("puts pod filters in the query string and names in the path, escaped", async () => {
    seen = [];
    const client = new ApiClient({ server: url });
    answer = json(200, []);
    await client.listPods({ deployment: "web", node: "n 1" });
    await client.listPods();
    answer = json(404, { error: "NotFound", message: "no such deployment" });
    assert.equal(await client.findDeployment("a/b"), undefined);
    assert.deepEqual(
      seen.map((s) => s.url),
      ["/pods?deployment=web&node=n+1", "/pods", "/deployments/a%2Fb"],
    );
    assert.equal(seen[0]?.headers.authorization, undefined);
  });

  test("an error answer becomes its message; a missing deployment is named", async () => {
    const client = new ApiClient({ server: url });
    answer = json(400, { error: "BadRequest", message: "replicas: must be an integer from 0 to 1000" });
    await assert.rejects(client.putDeployment({ name: "web", image: "nginx", replicas: 1 }), {
      name: "ApiError",
      status: 400,
      message: "replicas: must be an integer from 0 to 1000",
    });
    answer = json(404, { error: "NotFound", message: "deployment web not found" });
    await assert.rejects(client.getDeployment("web"), { status: 404, message: 'deployment "web" not found' });
    await assert.rejects(client.deleteDeployment("web"), {
      status: 404,
      message: 'deployment "web" not found',
    });
    answer = (response) => {
      response.writeHead(502, { "content-type": "text/html" });
      response.end("<html>bad gateway</html>");
    };
    await assert.rejects(client.listDeployments(), {
      status: 502,
      message: "the API server answered 502 Bad Gateway",
    });
  });

  test("401 says whether a token is missing or rejected", async () => {
    answer = json(401, { error: "Unauthorized", message: "authorization: a bearer token is required" });
    await assert.rejects(new ApiClient({ server: url }).listNodes(), {
      status: 401,
      message:
        "unauthorized: the API server requires a token (use --token, ORCHESTRA_TOKEN or a config file)",
    });
    answer = json(401, { error: "Unauthorized", message: "authorization: the bearer token expired at X" });
    await assert.rejects(new ApiClient({ server: url, token: "wrong" }).listNodes(), {
      message:
        "unauthorized: the API server rejected the token (authorization: the bearer token expired at X)",
    });
  });

  test("a closed port reads as connection refused; a silent server as a timeout", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(new ApiClient({ server: `http://127.0.0.1:${port}` }).listDeployments(), {
      name: "CliError",
      message: `cannot reach the API server at http://127.0.0.1:${port} (connection refused)`,
    });
    answer = () => {}; // never answers
    await assert.rejects(new ApiClient({ server: url, timeoutMs: 200 }).listDeployments(), {
      message: `cannot reach the API server at ${url} (no answer within 0.2s)`,
    });
  });

  test("lists are read page after page, following x-continue, in one array", async () => {
    seen = [];
    const client = new ApiClient({ server: url });
    answer = (response) => {
      const page = new URL(`http://x${seen[seen.length - 1]?.url}`).searchParams.get("continue");
      const next = page === null ? "t1" : page === "t1" ? "t2" : undefined;
      response.writeHead(200, {
        "content-type": "application/json",
        ...(next ? { "x-continue": next } : {}),
      });
      response.end(JSON.stringify([{ name: `after-${page ?? "start"}` }]));
    };
    const pods = await client.listPods({ deployment: "web" });
    assert.deepEqual(
      pods.map((pod) => pod.name),
      ["after-start", "after-t1", "after-t2"],
    );
    assert.deepEqual(
      seen.map((request) => request.url),
      ["/pods?deployment=web", "/pods?deployment=web&continue=t1", "/pods?deployment=web&continue=t2"],
    );
    // A server that hands the same token back would loop forever: the client stops.
    answer = (response) => {
      response.writeHead(200, { "content-type": "application/json", "x-continue": "again" });
      response.end("[]");
    };
    await assert.rejects(client.listDeployments(), /gave the same page of \/deployments twice/);
  });

  test("server URLs must be http(s)", () => {
    assert.equal(normaliseServerUrl("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
    assert.equal(normaliseServerUrl("https://api.example/orchestra/"), "https://api.example/orchestra");
    assert.throws(() => normaliseServerUrl("127.0.0.1:8080"), /--server: "127.0.0.1:8080"/);
    assert.throws(() => normaliseServerUrl("ftp://x"), /must start with http:\/\/ or https:\/\//);
  });
});
