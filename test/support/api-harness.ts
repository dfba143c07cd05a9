// A real API server on a fresh embedded store, and requests sent with node:http exactly as given (headers
// included), for the tests of what the API refuses. Every answer is checked against /openapi.json.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningApiServer, type StartApiServerOptions, startApiServer } from "../../src/cmd/api.js";
import { EmbeddedBackend } from "../../src/store/embedded/embedded-backend.js";
import { keys } from "../../src/store/keys.js";
import type { Store } from "../../src/store/store.js";
import { assertAnswerMatchesContract } from "./api-contract.js";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field in the tests.
  body: any;
  /** Bytes of the body as sent. */
  size: number;
}

/** One request with node:http, headers exactly as given; every answer must match /openapi.json. */
export function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
) {
  const { hostname, port } = new URL(url);
  return new Promise<Reply>((resolve, reject) => {
    const all =
      body === undefined ? headers : { "content-length": String(Buffer.byteLength(body)), ...headers };
    const req = httpRequest({ host: hostname, port, method, path, headers: all, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const parsed = text === "" ? undefined : JSON.parse(text);
        assertAnswerMatchesContract(method, path, res.statusCode ?? 0, parsed).then(
          () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, size: text.length }),
          reject,
        );
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** What a refused request must leave as it was. */
export async function snapshot(store: Store): Promise<string> {
  const lists = await Promise.all(
    [keys.deployments, keys.pods, keys.nodes, keys.nodeConfigs, keys.configs, keys.secrets].map((dir) =>
      store.list(dir),
    ),
  );
  return JSON.stringify(lists);
}

export interface Harness {
  url: string;
  store: Store;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<StartApiServerOptions> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-api-hardening-"));
  const backend = EmbeddedBackend.open(dir);
  let server: RunningApiServer | undefined;
  try {
    const store = backend.connect();
    server = await startApiServer({ store, port: 0, ...options });
    const running = server;
    return {
      url: running.url,
      store,
      async close() {
        try {
          await running.close();
        } finally {
          backend.close();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await server?.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export const JSON_TYPE = { "content-type": "application/json" };

export async function healthzMs(url: string): Promise<number> {
  const started = performance.now();
  const reply = await send(url, "GET", "/healthz", {});
  assert.equal(reply.status, 200);
  return performance.now() - started;
}
